package platformtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaultBlobChunk is the chunk size the suite assumes when not told one:
// the offsets it seeks to are chosen around multiples of it.
const defaultBlobChunk = 64 << 10

// BlobOption describes the Blob under test to TestBlob.
type BlobOption func(*blobOptions)

type blobOptions struct {
	chunk int
}

// BlobChunkSize tells TestBlob that the store keeps blobs in chunks of n
// bytes, so that it seeks to, and reads across, chunk boundaries; the
// default is 64 KiB. A small chunk keeps a chunked store's run fast.
func BlobChunkSize(n int) BlobOption {
	return func(o *blobOptions) { o.chunk = n }
}

// seekData is the part of data the seek and range cases store: sixteen
// chunks and a partial one, enough to seek around without moving megabytes.
func seekData(data []byte, chunk int) []byte {
	return data[:min(len(data), 16*chunk+1234)]
}

// RandomBytes returns n bytes of a random stream seeded with seed: the
// same arguments give the same bytes, so test data is reproducible.
func RandomBytes(n int, seed uint64) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	data := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(data)
	return data
}

// putBytes stores data at key.
func putBytes(t *testing.T, b platform.Blob, key string, data []byte) {
	t.Helper()
	n, err := b.Put(context.Background(), key, bytes.NewReader(data))
	require.NoError(t, err, key)
	require.Equal(t, int64(len(data)), n, key)
}

// sameBytes asserts got is want, naming the first difference rather than
// printing megabytes.
func sameBytes(t *testing.T, want, got []byte, msg string) bool {
	t.Helper()
	if bytes.Equal(want, got) {
		return true
	}
	i := 0
	for i < min(len(want), len(got)) && want[i] == got[i] {
		i++
	}
	return assert.Fail(t, msg, "%d bytes, want %d; first difference at offset %d", len(got), len(want), i)
}

// openSeeker opens key and asserts its reader is an io.ReadSeeker.
func openSeeker(t *testing.T, b platform.Blob, key string) io.ReadSeeker {
	t.Helper()
	rc, err := b.Open(context.Background(), key)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, rc.Close()) })
	rs, ok := rc.(io.ReadSeeker)
	require.True(t, ok, "Open's reader %T is no io.ReadSeeker", rc)
	return rs
}

func blobBigExact(t *testing.T, b platform.Blob, ns string, data []byte) {
	key := ns + "big.bin"
	putBytes(t, b, key, data)
	info, err := b.Stat(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, int64(len(data)), info.Size)
	got := []byte(read(t, b, key))
	sameBytes(t, data, got, "big blob content")
}

func blobSeeks(t *testing.T, b platform.Blob, ns string, data []byte, chunk int) {
	data = seekData(data, chunk)
	key := ns + "seek.bin"
	size, c := int64(len(data)), int64(chunk)
	require.Greater(t, size, 6*c, "the blob spans more than six chunks")
	putBytes(t, b, key, data)
	rs := openSeeker(t, b, key)
	cases := []struct {
		name           string
		offset         int64
		whence         int
		at, length     int64 // where the reads start, and how much
		wantEOFAtStart bool
	}{
		{"start", 0, io.SeekStart, 0, 100, false},
		{"middle of a chunk", c / 2, io.SeekStart, c / 2, 100, false},
		{"chunk boundary", 3 * c, io.SeekStart, 3 * c, 100, false},
		{"across a boundary", c - 10, io.SeekStart, c - 10, 20, false},
		{"across chunks", 2*c + 7, io.SeekStart, 2*c + 7, 2*c + 5, false},
		{"back to the first chunk", 1, io.SeekStart, 1, 10, false},
		{"from the current offset", 5*c - 11, io.SeekCurrent, 5 * c, 33, false},
		{"middle of the blob", size/2 + 13, io.SeekStart, size/2 + 13, 1000, false},
		{"last bytes", -10, io.SeekEnd, size - 10, 10, false},
		{"end", 0, io.SeekEnd, size, 0, true},
		{"past the end", size + 100, io.SeekStart, size + 100, 0, true},
	}
	for _, tc := range cases {
		pos, err := rs.Seek(tc.offset, tc.whence)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.at, pos, tc.name)
		if tc.wantEOFAtStart {
			n, err := rs.Read(make([]byte, 10))
			assert.Zero(t, n, tc.name)
			assert.ErrorIs(t, err, io.EOF, tc.name)
			continue
		}
		got := make([]byte, tc.length)
		_, err = io.ReadFull(rs, got)
		require.NoError(t, err, tc.name)
		sameBytes(t, data[tc.at:tc.at+tc.length], got, tc.name)
	}
	_, err := rs.Seek(-1, io.SeekStart)
	assert.Error(t, err, "a negative offset")
	if ra, ok := rs.(io.ReaderAt); ok {
		got := make([]byte, 2*c)
		_, err := ra.ReadAt(got, c-3)
		require.NoError(t, err)
		sameBytes(t, data[c-3:3*c-3], got, "ReadAt")
	}
}

func blobRanges(t *testing.T, b platform.Blob, ns string, data []byte, chunk int) {
	data = seekData(data, chunk)
	key := ns + "ranges.bin"
	putBytes(t, b, key, data)
	size, c := len(data), chunk
	cases := []struct {
		header     string
		start, end int // of the bytes wanted, end exclusive
	}{
		{fmt.Sprintf("bytes=%d-%d", c-5, c+4), c - 5, c + 5},
		{fmt.Sprintf("bytes=%d-", size-c-1), size - c - 1, size},
		{"bytes=-100", size - 100, size},
		{"bytes=0-0", 0, 1},
	}
	for _, tc := range cases {
		rs := openSeeker(t, b, key)
		req := httptest.NewRequest(http.MethodGet, "/"+key, nil)
		req.Header.Set("Range", tc.header)
		rec := httptest.NewRecorder()
		http.ServeContent(rec, req, "blob.bin", time.Time{}, rs)
		require.Equal(t, http.StatusPartialContent, rec.Code, tc.header)
		assert.Equal(t, fmt.Sprintf("bytes %d-%d/%d", tc.start, tc.end-1, size), rec.Header().Get("Content-Range"), tc.header)
		sameBytes(t, data[tc.start:tc.end], rec.Body.Bytes(), tc.header)
	}
}

func blobReplaceBig(t *testing.T, b platform.Blob, ns string, data []byte, chunk int) {
	ctx := context.Background()
	key := ns + "replaced"
	big := data[:7*chunk/2]
	putBytes(t, b, key, big)
	put(t, b, key, "short")
	assert.Equal(t, "short", read(t, b, key))
	rs := openSeeker(t, b, key)
	_, err := rs.Seek(int64(chunk), io.SeekStart)
	require.NoError(t, err)
	n, err := rs.Read(make([]byte, 10))
	assert.Zero(t, n, "no stale bytes past the new end")
	assert.ErrorIs(t, err, io.EOF)
	info, err := b.Stat(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, int64(5), info.Size)
	infos, err := b.List(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, []platform.BlobInfo{{Key: key, Size: 5}}, infos)

	putBytes(t, b, key, big)
	sameBytes(t, big, []byte(read(t, b, key)), "small replaced by big")
}

func blobChunkedSizes(t *testing.T, b platform.Blob, ns string, data []byte, chunk int) {
	ctx := context.Background()
	sizes := map[string]int{"d/empty": 0, "d/small": 10, "d/one-chunk": chunk, "d/two-chunks": 2 * chunk, "d/partial": 5*chunk/2 + 1}
	var want []platform.BlobInfo
	for _, k := range []string{"d/empty", "d/one-chunk", "d/partial", "d/small", "d/two-chunks"} {
		putBytes(t, b, ns+k, data[:sizes[k]])
		want = append(want, platform.BlobInfo{Key: ns + k, Size: int64(sizes[k])})
	}
	for _, w := range want {
		info, err := b.Stat(ctx, w.Key)
		require.NoError(t, err)
		assert.Equal(t, w, info)
	}
	infos, err := b.List(ctx, ns+"d/")
	require.NoError(t, err)
	assert.Equal(t, want, infos)
	got := []byte(read(t, b, ns+"d/two-chunks"))
	sameBytes(t, data[:2*chunk], got, "a blob of whole chunks")
}
