package embedded_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openBlobs(t *testing.T, dir string) *embedded.Blobs {
	t.Helper()
	b, err := embedded.OpenBlobs(dir)
	require.NoError(t, err)
	return b
}

func putString(t *testing.T, b *embedded.Blobs, key, content string) {
	t.Helper()
	_, err := b.Put(context.Background(), key, strings.NewReader(content))
	require.NoError(t, err)
}

func TestBlobsOpenSeeks(t *testing.T) {
	b := openBlobs(t, t.TempDir())
	putString(t, b, "media/v/seg.ts", "0123456789")
	rc, err := b.Open(context.Background(), "media/v/seg.ts")
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	_, isFile := rc.(*os.File)
	assert.True(t, isFile)
	rs, ok := rc.(io.ReadSeeker)
	require.True(t, ok, "Open returns an io.ReadSeeker for range requests")
	_, err = rs.Seek(4, io.SeekStart)
	require.NoError(t, err)
	buf := make([]byte, 3)
	_, err = io.ReadFull(rs, buf)
	require.NoError(t, err)
	assert.Equal(t, "456", string(buf))
}

func TestBlobsKeysAndLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := openBlobs(t, dir)
	for _, key := range []string{".tmp", ".tmp/x"} {
		_, err := b.Put(ctx, key, strings.NewReader("x"))
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%s: %v", key, err)
	}
	putString(t, b, "a/b/c", "x")
	content, err := os.ReadFile(filepath.Join(dir, "a", "b", "c"))
	require.NoError(t, err)
	assert.Equal(t, "x", string(content), "a key is a path under the root")

	_, err = b.Put(ctx, "a/b/c/d", strings.NewReader("x"))
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "below a blob: %v", err)
	_, err = b.Put(ctx, "a/b", strings.NewReader("x"))
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "onto a directory: %v", err)

	require.NoError(t, b.Delete(ctx, "a/b/c"))
	_, err = os.Stat(filepath.Join(dir, "a"))
	assert.ErrorIs(t, err, os.ErrNotExist, "emptied directories are pruned")
	putString(t, b, "a/b", "a blob where a directory was")
}

func TestBlobsStagedFilesStayHidden(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := openBlobs(t, dir)
	putString(t, b, "k", "x")
	stale := filepath.Join(dir, ".tmp", "put-stale")
	fresh := filepath.Join(dir, ".tmp", "put-fresh")
	require.NoError(t, os.WriteFile(stale, []byte("half"), 0o600))
	require.NoError(t, os.WriteFile(fresh, []byte("half"), 0o600))
	old := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(stale, old, old))

	infos, err := b.List(ctx, "")
	require.NoError(t, err)
	assert.Equal(t, []platform.BlobInfo{{Key: "k", Size: 1}}, infos)

	openBlobs(t, dir)
	_, err = os.Stat(stale)
	assert.ErrorIs(t, err, os.ErrNotExist, "a stale staged file is removed at open")
	_, err = os.Stat(fresh)
	assert.NoError(t, err, "a recent staged file may belong to a running Put")
}

func TestBlobsCancelledPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	b := openBlobs(t, dir)
	ctx, cancel := context.WithCancel(context.Background())
	r := io.MultiReader(bytes.NewReader(make([]byte, 64<<10)), cancelReader{cancel}, bytes.NewReader(make([]byte, 64<<10)))
	_, err := b.Put(ctx, "big", r)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
	_, err = b.Stat(context.Background(), "big")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
	staged, err := os.ReadDir(filepath.Join(dir, ".tmp"))
	require.NoError(t, err)
	assert.Empty(t, staged)
}

// cancelReader cancels its context when read, then reads nothing.
type cancelReader struct{ cancel context.CancelFunc }

func (c cancelReader) Read([]byte) (int, error) { c.cancel(); return 0, io.EOF }

func TestBlobsPutStreams(t *testing.T) {
	const size = 20 << 20
	b := openBlobs(t, t.TempDir())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := b.Put(context.Background(), "large", io.LimitReader(zeros{}, size))
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	require.Equal(t, int64(size), n)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(size/4), "Put allocates far less than the blob")
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
