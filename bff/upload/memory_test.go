package upload_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// heapWatch keeps the highest HeapInuse seen, sampled every few MiB read.
type heapWatch struct {
	mu   sync.Mutex
	read int64
	peak uint64
}

const sampleEvery = 4 << 20

func (h *heapWatch) count(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	before := h.read / sampleEvery
	h.read += int64(n)
	if h.read/sampleEvery != before {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.peak = max(h.peak, m.HeapInuse)
	}
}

// generator yields size bytes, repeating a random block of an odd size,
// without holding them, hashing them as it goes.
type generator struct {
	left  int64
	block []byte
	pos   int
	sum   hash.Hash
	watch *heapWatch
}

func newGenerator(size int64, watch *heapWatch) *generator {
	return &generator{left: size, block: platformtest.RandomBytes(1<<20+17, 42), sum: sha256.New(), watch: watch}
}

func (g *generator) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(int64(len(p)), g.left)], g.block[g.pos:])
	g.pos = (g.pos + n) % len(g.block)
	g.left -= int64(n)
	g.sum.Write(p[:n])
	g.watch.count(n)
	return n, nil
}

// watchedBlobs samples the heap while blobs are written (parts and the
// joined source).
type watchedBlobs struct {
	platform.Blob
	watch *heapWatch
}

func (w watchedBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	return w.Blob.Put(ctx, key, watchedReader{r: r, watch: w.watch})
}

type watchedReader struct {
	r     io.Reader
	watch *heapWatch
}

func (w watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.watch.count(n)
	return n, err
}

// TestMemoryStaysFlat streams 256 MiB through one PATCH and its completion
// and checks that the heap never grows by more than a few parts.
func TestMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 256 MiB")
	}
	const size = 256 << 20
	watch := &heapWatch{}
	f := newFixture(t, upload.Config{}, func(d *upload.Deps) { d.Blobs = watchedBlobs{Blob: d.Blobs, watch: watch} })
	up := f.create(size)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	gen := newGenerator(size, watch)
	code, body := status(t, f.patch(f.srv, up.URL, 0, gen, size))
	require.Equal(t, http.StatusNoContent, code, body)

	grown := int64(watch.peak) - int64(base.HeapInuse)
	t.Logf("heap in use grew by at most %d MiB while streaming %d MiB", grown>>20, size>>20)
	assert.Less(t, grown, int64(64<<20))
	u, err := f.srv.Get(t.Context(), up.ID)
	require.NoError(t, err)
	assert.True(t, u.Completed)
	assert.Equal(t, hex.EncodeToString(gen.sum.Sum(nil)), u.MediaID)
	info, err := f.blobs.Stat(t.Context(), upload.SourceKey(u.MediaID))
	require.NoError(t, err)
	assert.EqualValues(t, size, info.Size)
}
