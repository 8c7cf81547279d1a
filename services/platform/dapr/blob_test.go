package dapr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	blobOnce    sync.Once
	blobSidecar *testSidecar
)

// blobSC returns a sidecar of the blob tests alone, so that they may look
// at its binding's directory, with daprd's default --max-body-size (4Mi),
// which the default chunk size must fit. TestMain stops it.
func blobSC(t *testing.T) *Sidecar {
	t.Helper()
	e := requireEnv(t)
	blobOnce.Do(func() {
		blobSidecar = startSidecar(t, e, sidecarSpec{appID: "dflix-blob-" + randomID(), maxBodySize: "4Mi"}, true)
	})
	if blobSidecar == nil || blobSidecar.sc == nil {
		t.Fatal("the blob sidecar failed to start in an earlier test")
	}
	return blobSidecar.sc
}

// TestBlobChecksComeFirst needs no sidecar: keys and sizes are checked
// before the binding is called.
func TestBlobChecksComeFirst(t *testing.T) {
	b := (&Sidecar{cfg: Config{MaxBlobBytes: 8}.withDefaults()}).Blobs()
	ctx := context.Background()
	_, err := b.Put(ctx, "k", bytes.NewReader(make([]byte, 9)))
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "over the limit: %v", err)
	for _, key := range []string{"", "/abs", "../x", "a//b", ".chunks", ".chunks/x/000000"} {
		_, err := b.Put(ctx, key, bytes.NewReader(nil))
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "put %q: %v", key, err)
		_, err = b.Open(ctx, key)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "open %q: %v", key, err)
		_, err = b.Stat(ctx, key)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "stat %q: %v", key, err)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(b.Delete(ctx, key)), "delete %q", key)
	}
	_, err = b.List(ctx, "../")
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "list ../: %v", err)
	infos, err := b.List(ctx, ".chunks/x/")
	require.NoError(t, err)
	assert.Empty(t, infos, "no blob is in the chunk area")
}

func TestManifestParse(t *testing.T) {
	id := "0b6c1f4e-3a53-4c8e-9f57-8d5a3e0f7a11"
	valid := manifest{Version: 1, Size: 10, ChunkSize: 4, Chunks: 3, ID: id}
	cases := []struct {
		name    string
		data    string
		want    manifest
		corrupt bool
	}{
		{"manifest", string(valid.encode()), valid, false},
		{"empty blob", `{"dflixBlob":1,"size":0,"chunkSize":4,"chunks":0,"id":"` + id + `"}`, manifest{Version: 1, ChunkSize: 4, ID: id}, false},
		{"whole blob", "plain bytes", manifest{Size: 11, ChunkSize: 11, Chunks: 1, whole: []byte("plain bytes")}, false},
		{"empty whole blob", "", manifest{ChunkSize: 1, whole: []byte{}}, false},
		{"bad JSON", `{"dflixBlob":1,"size":`, manifest{}, true},
		{"other version", `{"dflixBlob":2,"size":0,"chunkSize":4,"chunks":0,"id":"` + id + `"}`, manifest{}, true},
		{"chunks disagree", `{"dflixBlob":1,"size":10,"chunkSize":4,"chunks":2,"id":"` + id + `"}`, manifest{}, true},
		{"no chunk size", `{"dflixBlob":1,"size":0,"chunkSize":0,"chunks":0,"id":"` + id + `"}`, manifest{}, true},
		{"id no uuid", `{"dflixBlob":1,"size":0,"chunkSize":4,"chunks":0,"id":"../../etc"}`, manifest{}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := parseManifest([]byte(tc.data))
			if tc.corrupt {
				assert.ErrorIs(t, err, errCorruptManifest)
				assert.Equal(t, platform.KindInternal, platform.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, m)
		})
	}
	assert.Equal(t, ".chunks/"+id+"/000002", valid.chunkName(2))
	assert.Equal(t, int64(2), valid.chunkLen(2))
}

func TestManifestHalfWritten(t *testing.T) {
	for data, want := range map[string]bool{
		"":                        true,
		`{"dflix`:                 true,
		`{"dflixBlob":1,"size":1`: true,
		string(manifest{Version: 1, ChunkSize: 1, ID: "x"}.encode()): false,
		"plain":            false,
		`{"other":"json"}`: false,
	} {
		assert.Equal(t, want, halfWritten([]byte(data)), "%q", data)
	}
}

// TestBlobChunkOverSidecarLimit: chunks whose base64 exceeds daprd's
// --max-body-size are a configuration error, and the Put leaves nothing,
// on each binding.
func TestBlobChunkOverSidecarLimit(t *testing.T) {
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) { chunkOverSidecarLimit(t, bb.sc(t)) })
	}
}

func chunkOverSidecarLimit(t *testing.T, sc *Sidecar) {
	b := sc.blobs(4<<20, DefaultMaxBlobBytes)
	ctx := context.Background()
	key := "limit/" + randomID()
	before := chunkDirs(t, b)
	_, err := b.Put(ctx, key, bytes.NewReader(make([]byte, 5<<20)))
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "%v", err)
	assert.ErrorContains(t, err, "max-body-size")
	assert.Equal(t, before, chunkDirs(t, b))
	_, err = b.Stat(ctx, key)
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
}

// TestBlobFailedPutKeepsOldBlob: a Put that fails midway (over the size
// limit, its reader failing, its ctx ending) removes the chunks it wrote
// and leaves the old blob whole, on each binding.
func TestBlobFailedPutKeepsOldBlob(t *testing.T) {
	for _, bb := range blobBindings {
		t.Run(bb.name, func(t *testing.T) { failedPutKeepsOldBlob(t, bb.sc(t)) })
	}
}

func failedPutKeepsOldBlob(t *testing.T, sc *Sidecar) {
	const chunk = 64 << 10
	b := sc.blobs(chunk, 3*chunk)
	old := bytes.Repeat([]byte("old"), chunk)
	boom := errors.New("boom")
	cases := []struct {
		name string
		ctx  func() context.Context
		r    io.Reader
		kind platform.Kind
	}{
		{"over the limit", context.Background, bytes.NewReader(make([]byte, 3*chunk+1)), platform.KindInvalid},
		{"reader fails", context.Background, io.MultiReader(bytes.NewReader(make([]byte, 2*chunk+5)), errReader{boom}), platform.KindInternal},
		{"ctx ends", nil, nil, platform.KindUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, r := tc.ctx, tc.r
			if ctx == nil {
				c, cancel := context.WithCancel(context.Background())
				ctx = func() context.Context { return c }
				r = io.MultiReader(bytes.NewReader(make([]byte, 2*chunk)), cancelReader{cancel}, bytes.NewReader(make([]byte, chunk)))
			}
			key := "failed/" + randomID()
			_, err := b.Put(context.Background(), key, bytes.NewReader(old))
			require.NoError(t, err)
			before := chunkDirs(t, b)
			_, err = b.Put(ctx(), key, r)
			assert.Equal(t, tc.kind, platform.KindOf(err), "%v", err)
			assert.Equal(t, before, chunkDirs(t, b), "the failed Put's chunks are gone")
			assert.Equal(t, old, readAll(t, b, key))
		})
	}
}

// TestBlobLegacyFile: a plain file at a key, as stored before blobs were
// chunked (on localstorage, the only binding there was then), reads as a
// blob; a Put replaces it.
func TestBlobLegacyFile(t *testing.T) {
	sc := blobSC(t)
	b := sc.blobs(64<<10, DefaultMaxBlobBytes)
	ctx := context.Background()
	dir := "legacy-" + randomID()
	for name, content := range map[string]string{"plain": "old plain blob", "empty": ""} {
		require.NoError(t, os.MkdirAll(filepath.Join(blobRoot(t, b), dir), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(blobRoot(t, b), dir, name), []byte(content), 0o644))
	}
	key := dir + "/plain"
	assert.Equal(t, []byte("old plain blob"), readAll(t, b, key))
	info, err := b.Stat(ctx, dir+"/empty")
	require.NoError(t, err)
	assert.Zero(t, info.Size)
	infos, err := b.List(ctx, dir+"/")
	require.NoError(t, err)
	assert.Equal(t, []platform.BlobInfo{{Key: dir + "/empty", Size: 0}, {Key: key, Size: 14}}, infos)

	rc, err := b.Open(ctx, key)
	require.NoError(t, err)
	_, err = rc.(io.Seeker).Seek(4, io.SeekStart)
	require.NoError(t, err)
	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "plain blob", string(rest))
	require.NoError(t, rc.Close())

	_, err = b.Put(ctx, key, bytes.NewReader([]byte("new")))
	require.NoError(t, err)
	assert.Equal(t, []byte("new"), readAll(t, b, key))
	require.NoError(t, b.Delete(ctx, dir+"/empty"))
	_, err = b.Stat(ctx, dir+"/empty")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
}

// readAll reads the blob at key whole.
func readAll(t *testing.T, b platform.Blob, key string) []byte {
	t.Helper()
	rc, err := b.Open(context.Background(), key)
	require.NoError(t, err)
	defer func() { require.NoError(t, rc.Close()) }()
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	return data
}

// blobRoot is the directory of b's binding.
func blobRoot(t *testing.T, b *Blobs) string {
	t.Helper()
	root, err := b.rootPath(context.Background())
	require.NoError(t, err)
	return root
}

// chunkDirs lists the chunk directories of b's binding: the directories
// of localstorage, the common prefixes of S3.
func chunkDirs(t *testing.T, b *Blobs) []string {
	t.Helper()
	d, err := b.dialect(context.Background())
	require.NoError(t, err)
	if !d.dirs {
		_, dirs, err := b.listS3(context.Background(), chunkDir+"/", "/")
		require.NoError(t, err)
		names := []string{}
		for _, dir := range dirs {
			names = append(names, strings.TrimSuffix(strings.TrimPrefix(dir, chunkDir+"/"), "/"))
		}
		return names
	}
	entries, err := os.ReadDir(filepath.Join(blobRoot(t, b), chunkDir))
	if errors.Is(err, os.ErrNotExist) {
		return []string{}
	}
	require.NoError(t, err)
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// errReader fails every read.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// cancelReader cancels its context when read, then reads nothing.
type cancelReader struct{ cancel context.CancelFunc }

func (c cancelReader) Read([]byte) (int, error) { c.cancel(); return 0, io.EOF }
