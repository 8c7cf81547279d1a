package upload_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// TestOverTheNetwork plays what tus-js-client does, over real connections:
// create by POST, send, lose the connection mid-body, ask where to resume,
// resume.
func TestOverTheNetwork(t *testing.T) {
	f := newFixture(t, upload.Config{PartSize: testPart})
	srv := httptest.NewServer(f.srv)
	t.Cleanup(srv.Close)
	data := platformtest.RandomBytes(4_200, 21)

	req := newRequest(t, http.MethodPost, srv.URL+"/uploads/", nil, "Upload-Length", strconv.Itoa(len(data)),
		"Upload-Metadata", "filename "+b64("movie.mp4")+",filetype "+b64("video/mp4")+",videoId "+b64("video-1"),
		"Authorization", "Bearer admin")
	resp := do(t, req)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	url := srv.URL + resp.Header.Get("Location")

	// The connection drops after 2,500 bytes of a 4,200-byte body.
	req = newRequest(t, http.MethodPatch, url, breakAfter(data, 2_500), "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
	req.ContentLength = int64(len(data))
	_, err := http.DefaultClient.Do(req)
	require.Error(t, err)
	require.Eventually(t, func() bool {
		u, err := f.srv.Get(t.Context(), lastSegment(url))
		return err == nil && u.Offset == 2_000
	}, 5*time.Second, 5*time.Millisecond, "the two whole parts are kept")

	// HEAD through a method override, as behind proxies that drop HEAD.
	req = newRequest(t, http.MethodPost, url, nil, "X-HTTP-Method-Override", "HEAD")
	resp = do(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	offset, err := strconv.Atoi(resp.Header.Get("Upload-Offset"))
	require.NoError(t, err)
	require.Equal(t, 2_000, offset)

	req = newRequest(t, http.MethodPatch, url, bytes.NewReader(data[offset:]), "Upload-Offset", strconv.Itoa(offset), "Content-Type", "application/offset+octet-stream")
	resp = do(t, req)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, strconv.Itoa(len(data)), resp.Header.Get("Upload-Offset"))
	assertCompleted(t, f, upload.CreateResponse{ID: lastSegment(url), URL: "/uploads/" + lastSegment(url)}, data, "video-1")
}

func newRequest(t *testing.T, method, url string, body io.Reader, kv ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	require.NoError(t, err)
	req.Header = tus(kv...)
	return req
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	return resp
}

func lastSegment(url string) string { return url[len(url)-32:] }
