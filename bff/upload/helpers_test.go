package upload_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// testClock is a clock that tests move by hand.
type testClock struct{ now atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.now.Store(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// recorder is a Publisher that keeps what it is given; failures > 0 makes
// that many publishes fail first.
type recorder struct {
	mu       sync.Mutex
	events   []platform.Event
	failures int
}

func (r *recorder) Publish(_ context.Context, ev platform.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		return platform.E(platform.KindUnavailable, "bus down", nil)
	}
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) completed(t *testing.T) []encoder.UploadCompleted {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := []encoder.UploadCompleted{}
	for _, ev := range r.events {
		require.Equal(t, encoder.Topic, ev.Topic)
		require.Equal(t, encoder.EventUploadCompleted, ev.Type)
		require.Equal(t, "bff", ev.Source)
		var p encoder.UploadCompleted
		require.NoError(t, ev.Decode(&p))
		out = append(out, p)
	}
	return out
}

// fixture is one upload server over embedded ports in a temporary folder.
type fixture struct {
	t     *testing.T
	srv   *upload.Server
	cfg   upload.Config
	deps  upload.Deps
	state *embedded.State
	blobs *embedded.Blobs
	pub   *recorder
	clock *testClock
}

// newFixture builds a server; edit may change its deps (e.g. wrap a port).
func newFixture(t *testing.T, cfg upload.Config, edit ...func(*upload.Deps)) *fixture {
	t.Helper()
	dir := t.TempDir()
	state, err := embedded.OpenState(filepath.Join(dir, "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	blobs, err := embedded.OpenBlobs(filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	f := &fixture{t: t, cfg: cfg, state: state, blobs: blobs, pub: &recorder{}, clock: newTestClock()}
	f.deps = upload.Deps{State: state, Blobs: blobs, Publisher: f.pub, Clock: f.clock.Now, Authorize: allowAdmin}
	for _, e := range edit {
		e(&f.deps)
	}
	f.srv = f.replica()
	return f
}

// replica returns another server over the same ports, like a second BFF.
func (f *fixture) replica() *upload.Server {
	f.t.Helper()
	srv, err := upload.New(f.cfg, f.deps)
	require.NoError(f.t, err)
	return srv
}

func allowAdmin(_ context.Context, r *http.Request, videoID string) (platform.Caller, error) {
	if r.Header.Get("Authorization") != "Bearer admin" {
		return platform.Caller{}, platform.E(platform.KindUnauthenticated, "sign in required", nil)
	}
	if videoID == "missing" {
		return platform.Caller{}, platform.E(platform.KindNotFound, "video not found", nil)
	}
	return platform.Caller{UserID: "admin-1", Role: platform.RoleAdmin}, nil
}

// create makes an upload of size bytes through the Go API.
func (f *fixture) create(size int64) upload.CreateResponse {
	f.t.Helper()
	resp, err := f.srv.Create(context.Background(), upload.CreateRequest{VideoID: "video-1", Filename: "movie.mp4", Size: size, CreatedBy: "admin-1"})
	require.NoError(f.t, err)
	return resp
}

// serve sends one request to srv and returns the response.
func serve(srv http.Handler, method, target string, header http.Header, body io.Reader) *http.Response {
	r := httptest.NewRequest(method, target, body)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w.Result()
}

// tus returns the headers of a tus request, with pairs of more.
func tus(kv ...string) http.Header {
	h := http.Header{"Tus-Resumable": {"1.0.0"}}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// patch sends body at offset, with a Content-Length when known (>= 0).
func (f *fixture) patch(srv http.Handler, url string, offset int64, body io.Reader, length int64) *http.Response {
	r := httptest.NewRequest(http.MethodPatch, url, body)
	r.ContentLength = length
	r.Header = tus("Content-Type", "application/offset+octet-stream", "Upload-Offset", strconv.FormatInt(offset, 10))
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w.Result()
}

// headOffset returns the Upload-Offset that HEAD reports.
func (f *fixture) headOffset(url string) int64 {
	f.t.Helper()
	resp := serve(f.srv, http.MethodHead, url, tus(), nil)
	require.Equal(f.t, http.StatusOK, resp.StatusCode)
	n, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	require.NoError(f.t, err)
	return n
}

// keys lists the blob keys under prefix.
func (f *fixture) keys(prefix string) []string {
	f.t.Helper()
	infos, err := f.blobs.List(context.Background(), prefix)
	require.NoError(f.t, err)
	out := []string{}
	for _, i := range infos {
		out = append(out, i.Key)
	}
	return out
}

// readBlob returns a blob's bytes.
func (f *fixture) readBlob(key string) []byte {
	f.t.Helper()
	rc, err := f.blobs.Open(context.Background(), key)
	require.NoError(f.t, err)
	defer func() { _ = rc.Close() }()
	b, err := io.ReadAll(rc)
	require.NoError(f.t, err)
	return b
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// status reads a response's status and its plain-text body.
func status(t *testing.T, resp *http.Response) (int, string) {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(bytes.TrimSpace(b))
}
