package platformtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// largeBlobSize is the size of the streamed blob case.
const largeBlobSize = 20 << 20

// TestBlob runs the platform.Blob conformance cases. newBlob returns the
// store under test (it may be shared between cases); opts describe it.
func TestBlob(t *testing.T, newBlob func(t *testing.T) platform.Blob, opts ...BlobOption) {
	t.Helper()
	o := blobOptions{chunk: defaultBlobChunk}
	for _, opt := range opts {
		opt(&o)
	}
	big := sync.OnceValue(func() []byte { return RandomBytes(largeBlobSize, 1) })
	cases := []struct {
		name string
		run  func(t *testing.T, b platform.Blob, ns string)
	}{
		{"PutOpenStat", blobRoundtrip},
		{"EmptyBlob", blobEmpty},
		{"OverwriteReplaces", blobOverwrite},
		{"MissingIsNotFound", blobMissing},
		{"DeleteIsIdempotent", blobDelete},
		{"ListByPrefix", blobList},
		{"InvalidKeys", blobInvalidKeys},
		{"ConcurrentPutsNeverMix", blobConcurrentPuts},
		{"LargeStreamed", blobLarge},
		{"BigRoundTripsByteExact", func(t *testing.T, b platform.Blob, ns string) { blobBigExact(t, b, ns, big()) }},
		{"OpenSeeks", func(t *testing.T, b platform.Blob, ns string) { blobSeeks(t, b, ns, big(), o.chunk) }},
		{"OpenServesRanges", func(t *testing.T, b platform.Blob, ns string) { blobRanges(t, b, ns, big(), o.chunk) }},
		{"ReplaceBigWithSmall", func(t *testing.T, b platform.Blob, ns string) { blobReplaceBig(t, b, ns, big(), o.chunk) }},
		{"SizesOfChunkedBlobs", func(t *testing.T, b platform.Blob, ns string) { blobChunkedSizes(t, b, ns, big(), o.chunk) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newBlob(t), unique("blob")+"/")
		})
	}
}

func put(t *testing.T, b platform.Blob, key, content string) {
	t.Helper()
	n, err := b.Put(context.Background(), key, strings.NewReader(content))
	require.NoError(t, err, key)
	require.Equal(t, int64(len(content)), n, key)
}

func read(t *testing.T, b platform.Blob, key string) string {
	t.Helper()
	rc, err := b.Open(context.Background(), key)
	require.NoError(t, err, key)
	defer func() { require.NoError(t, rc.Close()) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err, key)
	return string(data)
}

func blobRoundtrip(t *testing.T, b platform.Blob, ns string) {
	key := ns + "media/v-1/720p/seg-0001.ts"
	content := "\x00\x01binary\xffcontent\n"
	put(t, b, key, content)
	assert.Equal(t, content, read(t, b, key))
	info, err := b.Stat(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, platform.BlobInfo{Key: key, Size: int64(len(content))}, info)
}

func blobEmpty(t *testing.T, b platform.Blob, ns string) {
	put(t, b, ns+"empty", "")
	assert.Empty(t, read(t, b, ns+"empty"))
	info, err := b.Stat(context.Background(), ns+"empty")
	require.NoError(t, err)
	assert.Zero(t, info.Size)
}

func blobOverwrite(t *testing.T, b platform.Blob, ns string) {
	put(t, b, ns+"k", "a much longer first version")
	put(t, b, ns+"k", "short")
	assert.Equal(t, "short", read(t, b, ns+"k"))
	info, err := b.Stat(context.Background(), ns+"k")
	require.NoError(t, err)
	assert.Equal(t, int64(5), info.Size)
}

func blobMissing(t *testing.T, b platform.Blob, ns string) {
	put(t, b, ns+"dir/file", "x")
	for _, key := range []string{ns + "missing", ns + "dir", ns + "dir/file/below", ns + "nodir/file"} {
		_, err := b.Open(context.Background(), key)
		assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "open %s: %v", key, err)
		_, err = b.Stat(context.Background(), key)
		assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "stat %s: %v", key, err)
	}
}

func blobDelete(t *testing.T, b platform.Blob, ns string) {
	ctx := context.Background()
	put(t, b, ns+"a/b/c", "x")
	require.NoError(t, b.Delete(ctx, ns+"a/b/c"))
	_, err := b.Open(ctx, ns+"a/b/c")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
	require.NoError(t, b.Delete(ctx, ns+"a/b/c"), "deleting twice")
	require.NoError(t, b.Delete(ctx, ns+"never/existed"))
}

func blobList(t *testing.T, b platform.Blob, ns string) {
	ctx := context.Background()
	for _, k := range []string{"a/2", "a/1", "a/sub/3", "ab", "b/1"} {
		put(t, b, ns+k, k)
	}
	cases := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/2", "a/sub/3"}},
		{"a", []string{"a/1", "a/2", "a/sub/3", "ab"}},
		{"a/s", []string{"a/sub/3"}},
		{"", []string{"a/1", "a/2", "a/sub/3", "ab", "b/1"}},
		{"zzz/", nil},
	}
	for _, tc := range cases {
		t.Run("prefix="+tc.prefix, func(t *testing.T) {
			infos, err := b.List(ctx, ns+tc.prefix)
			require.NoError(t, err)
			want := make([]platform.BlobInfo, 0, len(tc.want))
			for _, k := range tc.want {
				want = append(want, platform.BlobInfo{Key: ns + k, Size: int64(len(k))})
			}
			assert.Equal(t, want, infos)
		})
	}
}

func blobInvalidKeys(t *testing.T, b platform.Blob, ns string) {
	for _, key := range []string{"", "/etc/passwd", "../escape", ns + "../../escape", ns + "a/../../../x", ns + "a//b", ns + "a/"} {
		_, err := b.Put(context.Background(), key, strings.NewReader("x"))
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "put %q: %v", key, err)
		_, err = b.Open(context.Background(), key)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "open %q: %v", key, err)
	}
}

func blobConcurrentPuts(t *testing.T, b platform.Blob, ns string) {
	const writers, size = 4, 1 << 20
	key := ns + "contended"
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, err := b.Put(context.Background(), key, bytes.NewReader(bytes.Repeat([]byte{byte('a' + i)}, size)))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	got := read(t, b, key)
	require.Len(t, got, size)
	assert.Equal(t, strings.Repeat(got[:1], size), got, "a blob is one writer's whole content")
}

func blobLarge(t *testing.T, b platform.Blob, ns string) {
	key := ns + "large.bin"
	src := &patternReader{remaining: largeBlobSize}
	n, err := b.Put(context.Background(), key, src)
	require.NoError(t, err)
	require.Equal(t, int64(largeBlobSize), n)

	info, err := b.Stat(context.Background(), key)
	require.NoError(t, err)
	assert.Equal(t, int64(largeBlobSize), info.Size)

	rc, err := b.Open(context.Background(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	got := sha256.New()
	_, err = io.Copy(got, rc)
	require.NoError(t, err)
	want := sha256.New()
	_, err = io.Copy(want, &patternReader{remaining: largeBlobSize})
	require.NoError(t, err)
	assert.Equal(t, want.Sum(nil), got.Sum(nil), "large blob content")
}

// patternReader streams a deterministic, non-repeating-looking pattern
// without holding it in memory.
type patternReader struct {
	remaining int
	pos       uint64
}

func (p *patternReader) Read(buf []byte) (int, error) {
	if p.remaining == 0 {
		return 0, io.EOF
	}
	n := min(len(buf), p.remaining)
	for i := range n {
		x := p.pos * 0x9E3779B97F4A7C15
		buf[i] = byte(x >> 56)
		p.pos++
	}
	p.remaining -= n
	return n, nil
}
