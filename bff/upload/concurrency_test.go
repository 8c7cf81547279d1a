package upload_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// gatedBlobs holds the first Put of a part, once its bytes are read, until
// release is closed, and says so on entered.
type gatedBlobs struct {
	platform.Blob
	entered chan struct{}
	release chan struct{}
}

func newGatedBlobs(b platform.Blob) *gatedBlobs {
	return &gatedBlobs{Blob: b, entered: make(chan struct{}), release: make(chan struct{})}
}

// gatedServer is a second upload server over f's stores whose part writes
// go through a gatedBlobs: another replica, or the same one held mid-PATCH.
func gatedServer(t *testing.T, f *fixture) (*upload.Server, *gatedBlobs) {
	t.Helper()
	gated := newGatedBlobs(f.deps.Blobs)
	deps := f.deps
	deps.Blobs = gated
	srv, err := upload.New(f.cfg, deps)
	require.NoError(t, err)
	return srv, gated
}

func (g *gatedBlobs) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if !strings.HasPrefix(key, "uploads/") {
		return g.Blob.Put(ctx, key, r)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	close(g.entered)
	<-g.release
	return g.Blob.Put(ctx, key, bytes.NewReader(data))
}

func TestConcurrentPatchesOnTwoReplicas(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart})
	data := platformtest.RandomBytes(1_500, 5)
	up := f.create(int64(len(data)))
	slow, gated := gatedServer(t, f)

	slowDone := make(chan *http.Response, 1)
	go func() { slowDone <- f.patch(slow, up.URL, 0, bytes.NewReader(data[:700]), 700) }()
	<-gated.entered

	// Meanwhile another replica stores the same offset and more.
	code, body := status(t, f.patch(f.srv, up.URL, 0, bytes.NewReader(data[:1_200]), 1_200))
	require.Equal(t, http.StatusNoContent, code, body)
	close(gated.release)

	code, body = status(t, <-slowDone)
	assert.Equal(t, http.StatusConflict, code, body)
	assert.EqualValues(t, 1_200, f.headOffset(up.URL))
	assert.Len(t, f.keys("uploads/"+up.ID+"/"), 2, "the loser's part is deleted")

	code, body = status(t, f.patch(f.srv, up.URL, 1_200, bytes.NewReader(data[1_200:]), 300))
	require.Equal(t, http.StatusNoContent, code, body)
	assertCompleted(t, f, up, data, "video-1")
}

func TestConcurrentPatchesOnOneReplicaAreSerialized(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart})
	data := platformtest.RandomBytes(1_500, 6)
	up := f.create(int64(len(data)))
	srv, gated := gatedServer(t, f)

	first := make(chan *http.Response, 1)
	go func() { first <- f.patch(srv, up.URL, 0, bytes.NewReader(data[:500]), 500) }()
	<-gated.entered

	// The second request passes the early offset check, then waits for the
	// first to end, and finds the offset moved.
	second := make(chan *http.Response, 1)
	go func() { second <- f.patch(srv, up.URL, 0, bytes.NewReader(data[:500]), 500) }()
	close(gated.release)

	code, body := status(t, <-first)
	require.Equal(t, http.StatusNoContent, code, body)
	code, body = status(t, <-second)
	assert.Equal(t, http.StatusConflict, code, body)
	assert.Contains(t, body, "does not match the upload's offset 500")
	assert.EqualValues(t, 500, f.headOffset(up.URL))
}
