package dapr

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBlobStreamsFlat: a blob over the old 32 MiB limit goes through with
// the default chunk size, on each binding, and neither Put nor reading it
// back holds it in memory: the heap's peak growth, garbage not yet
// collected included, stays a few chunks (about 12 MiB here), well below
// half the blob.
func TestBlobStreamsFlat(t *testing.T) {
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) { streamsFlat(t, bb.sc(t).Blobs()) })
	}
}

func streamsFlat(t *testing.T, b platform.Blob) {
	const size = 48 << 20
	ctx := context.Background()
	key := "stream/" + randomID()
	want := sha256.New()
	_, err := io.Copy(want, &genReader{remaining: size})
	require.NoError(t, err)

	mem := newHeapPeak()
	start := time.Now()
	n, err := b.Put(ctx, key, &genReader{remaining: size, sample: mem.sample})
	putTime := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	assert.Less(t, mem.growth(), uint64(size/2), "Put's heap growth")
	putGrowth := mem.growth()

	mem = newHeapPeak()
	start = time.Now()
	rc, err := b.Open(ctx, key)
	require.NoError(t, err)
	got := sha256.New()
	_, err = io.CopyBuffer(sampleWriter{got, mem.sample}, rc, make([]byte, 64<<10))
	readTime := time.Since(start)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	assert.Equal(t, want.Sum(nil), got.Sum(nil), "content read back")
	assert.Less(t, mem.growth(), uint64(size/2), "Open's heap growth")
	t.Logf("peak heap growth: Put %d MiB, read %d MiB", putGrowth>>20, mem.growth()>>20)
	t.Logf("48 MiB through the sidecar in %d KiB chunks: Put %v (%.0f MB/s), Open and read %v (%.0f MB/s)",
		DefaultBlobChunkBytes>>10, putTime, size/1e6/putTime.Seconds(), readTime, size/1e6/readTime.Seconds())
	require.NoError(t, b.Delete(ctx, key))
}

// TestBlobLayout: a blob is a manifest at its key and chunk files in
// .chunks/<id>/, on each binding; a replaced or deleted blob's chunks are
// removed.
func TestBlobLayout(t *testing.T) {
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) { blobLayout(t, bb.sc(t)) })
	}
}

func blobLayout(t *testing.T, sc *Sidecar) {
	const chunk = 64 << 10
	b := sc.blobs(chunk, DefaultMaxBlobBytes)
	ctx := context.Background()
	key := "layout-" + randomID() + "/k"
	_, err := b.Put(ctx, key, bytes.NewReader(make([]byte, 5*chunk/2)))
	require.NoError(t, err)
	m := readManifestRaw(t, b, key)
	assert.Equal(t, manifest{Version: 1, Size: 5 * chunk / 2, ChunkSize: chunk, Chunks: 3, ID: m.ID}, m)
	for i, want := range []int{chunk, chunk, chunk / 2} {
		data, err := b.read(ctx, m.chunkName(int64(i)))
		require.NoError(t, err)
		assert.Len(t, data, want, "chunk %d", i)
	}
	assert.Contains(t, chunkDirs(t, b), m.ID)
	infos, err := b.List(ctx, "")
	require.NoError(t, err)
	for _, info := range infos {
		assert.False(t, reserved(info.Key), "List shows chunk %s", info.Key)
	}

	_, err = b.Put(ctx, key, bytes.NewReader([]byte("small")))
	require.NoError(t, err)
	assert.NotContains(t, chunkDirs(t, b), m.ID, "the replaced blob's chunks")
	m = readManifestRaw(t, b, key)
	assert.Equal(t, int64(1), m.Chunks)
	require.NoError(t, b.Delete(ctx, key))
	_, err = b.read(ctx, key)
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "the deleted blob's manifest: %v", err)
	assert.NotContains(t, chunkDirs(t, b), m.ID, "the deleted blob's chunks")
}

// TestBlobReaderOfReplacedBlob: a reader whose blob is replaced meanwhile
// fails with KindConflict once it needs a removed chunk, on each binding.
func TestBlobReaderOfReplacedBlob(t *testing.T) {
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) { readerOfReplacedBlob(t, bb.sc(t)) })
	}
}

func readerOfReplacedBlob(t *testing.T, sc *Sidecar) {
	const chunk = 64 << 10
	b := sc.blobs(chunk, DefaultMaxBlobBytes)
	ctx := context.Background()
	key := "replaced/" + randomID()
	_, err := b.Put(ctx, key, bytes.NewReader(make([]byte, 3*chunk)))
	require.NoError(t, err)
	rc, err := b.Open(ctx, key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	_, err = io.ReadFull(rc, make([]byte, chunk))
	require.NoError(t, err)
	_, err = b.Put(ctx, key, bytes.NewReader([]byte("new")))
	require.NoError(t, err)
	_, err = io.ReadAll(rc)
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%v", err)
}

// TestBlobKeyCollision: on localstorage, a key whose path a blob or
// directory blocks is KindConflict, and its Put leaves no chunks
// (TestBlobS3KeyCollision is S3's).
func TestBlobKeyCollision(t *testing.T) {
	const chunk = 64 << 10
	b := blobSC(t).blobs(chunk, DefaultMaxBlobBytes)
	ctx := context.Background()
	ns := "collide-" + randomID() + "/"
	for _, k := range []string{"file", "dir/x"} {
		_, err := b.Put(ctx, ns+k, bytes.NewReader([]byte(k)))
		require.NoError(t, err)
	}
	before := chunkDirs(t, b)
	for _, k := range []string{"file/below", "dir"} {
		_, err := b.Put(ctx, ns+k, bytes.NewReader(make([]byte, 2*chunk)))
		assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%s: %v", k, err)
	}
	assert.Equal(t, before, chunkDirs(t, b))
}

// readManifestRaw reads the file or object at key through the binding and
// decodes it as a manifest.
func readManifestRaw(t *testing.T, b *Blobs, key string) manifest {
	t.Helper()
	data, err := b.read(context.Background(), key)
	require.NoError(t, err)
	var m manifest
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

// heapPeak records the largest HeapInuse seen above a baseline.
type heapPeak struct {
	base, peak uint64
	read       int
}

func newHeapPeak() *heapPeak {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return &heapPeak{base: ms.HeapInuse, peak: ms.HeapInuse}
}

// sample reads HeapInuse once per MiB moved.
func (h *heapPeak) sample(n int) {
	h.read += n
	if h.read < 1<<20 {
		return
	}
	h.read = 0
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.peak = max(h.peak, ms.HeapInuse)
}

func (h *heapPeak) growth() uint64 { return h.peak - h.base }

// genReader streams a deterministic pattern without holding it, calling
// sample with every read's size.
type genReader struct {
	remaining int
	pos       uint64
	sample    func(int)
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.remaining == 0 {
		return 0, io.EOF
	}
	n := min(len(p), g.remaining)
	for i := range n {
		p[i] = byte((g.pos * 0x9E3779B97F4A7C15) >> 56)
		g.pos++
	}
	g.remaining -= n
	if g.sample != nil {
		g.sample(n)
	}
	return n, nil
}

// sampleWriter is a writer that calls sample with every write's size.
type sampleWriter struct {
	w      io.Writer
	sample func(int)
}

func (s sampleWriter) Write(p []byte) (int, error) {
	s.sample(len(p))
	return s.w.Write(p)
}
