package upload_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
)

func TestOptionsAdvertisesTheProtocol(t *testing.T) {
	f := newFixture(t, upload.Config{MaxSize: 5000})
	for _, path := range []string{"/uploads/", "/uploads", "/uploads/0123456789abcdef0123456789abcdef"} {
		resp := serve(f.srv, http.MethodOptions, path, nil, nil)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode, path)
		assert.Equal(t, "1.0.0", resp.Header.Get("Tus-Version"))
		assert.Equal(t, "1.0.0", resp.Header.Get("Tus-Resumable"))
		assert.Equal(t, "creation,termination,expiration", resp.Header.Get("Tus-Extension"))
		assert.Equal(t, "5000", resp.Header.Get("Tus-Max-Size"))
	}
}

func TestPostCreates(t *testing.T) {
	f := newFixture(t, upload.Config{MaxSize: 5000})
	meta := "videoId " + b64("video-1") + ",filename " + b64("movie.mp4") + ",filetype " + b64("video/mp4")
	admin := func(kv ...string) http.Header {
		h := tus(kv...)
		h.Set("Authorization", "Bearer admin")
		return h
	}
	tests := []struct {
		name     string
		header   http.Header
		status   int
		message  string
		filename string
	}{
		{"created", admin("Upload-Length", "100", "Upload-Metadata", meta), http.StatusCreated, "", "movie.mp4"},
		{"name instead of filename", admin("Upload-Length", "100", "Upload-Metadata", "videoId "+b64("video-1")+",name "+b64("clip.mov")+",relativePath"), http.StatusCreated, "", "clip.mov"},
		{"unpadded base64", admin("Upload-Length", "100", "Upload-Metadata", "videoId dmlkZW8tMQ,filename YS5tcDQ"), http.StatusCreated, "", "a.mp4"},
		{"no tus version", http.Header{"Authorization": {"Bearer admin"}, "Upload-Length": {"100"}}, http.StatusPreconditionFailed, "Tus-Resumable", ""},
		{"wrong tus version", admin("Tus-Resumable", "0.2.2", "Upload-Length", "100", "Upload-Metadata", meta), http.StatusPreconditionFailed, "Tus-Resumable", ""},
		{"deferred length", admin("Upload-Defer-Length", "1", "Upload-Metadata", meta), http.StatusBadRequest, "Upload-Defer-Length is not supported", ""},
		{"concatenation", admin("Upload-Concat", "partial", "Upload-Length", "100", "Upload-Metadata", meta), http.StatusBadRequest, "Upload-Concat", ""},
		{"no length", admin("Upload-Metadata", meta), http.StatusBadRequest, "Upload-Length", ""},
		{"bad length", admin("Upload-Length", "-5", "Upload-Metadata", meta), http.StatusBadRequest, "Upload-Length", ""},
		{"too large", admin("Upload-Length", "5001", "Upload-Metadata", meta), http.StatusRequestEntityTooLarge, "the limit is 5000 bytes", ""},
		{"empty", admin("Upload-Length", "0", "Upload-Metadata", meta), http.StatusBadRequest, "at least 1 byte", ""},
		{"no video", admin("Upload-Length", "100", "Upload-Metadata", "filename "+b64("a.mp4")), http.StatusBadRequest, "videoId", ""},
		{"no filename", admin("Upload-Length", "100", "Upload-Metadata", "videoId "+b64("video-1")), http.StatusBadRequest, "filename is required", ""},
		{"path in filename", admin("Upload-Length", "100", "Upload-Metadata", "videoId "+b64("video-1")+",filename "+b64("../x.mp4")), http.StatusBadRequest, "path", ""},
		{"bad base64", admin("Upload-Length", "100", "Upload-Metadata", "videoId !!!"), http.StatusBadRequest, "not base64", ""},
		{"repeated key", admin("Upload-Length", "100", "Upload-Metadata", meta+",videoId "+b64("x")), http.StatusBadRequest, "repeats", ""},
		{"anonymous", tus("Upload-Length", "100", "Upload-Metadata", meta), http.StatusUnauthorized, "sign in required", ""},
		{"unknown video", admin("Upload-Length", "100", "Upload-Metadata", "videoId "+b64("missing")+",filename "+b64("a.mp4")), http.StatusNotFound, "video not found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := serve(f.srv, http.MethodPost, "/uploads/", tt.header, nil)
			code, body := status(t, resp)
			require.Equal(t, tt.status, code, body)
			assert.Equal(t, "1.0.0", resp.Header.Get("Tus-Resumable"))
			if code != http.StatusCreated {
				assert.Contains(t, body, tt.message)
				assert.Equal(t, "text/plain; charset=utf-8", resp.Header.Get("Content-Type"))
				if code == http.StatusPreconditionFailed {
					assert.Equal(t, "1.0.0", resp.Header.Get("Tus-Version"))
				}
				return
			}
			loc := resp.Header.Get("Location")
			require.Regexp(t, `^/uploads/[0-9a-f]{32}$`, loc)
			assert.NotEmpty(t, resp.Header.Get("Upload-Expires"))
			u, err := f.srv.Get(t.Context(), strings.TrimPrefix(loc, "/uploads/"))
			require.NoError(t, err)
			assert.Equal(t, "video-1", u.VideoID)
			assert.Equal(t, tt.filename, u.Filename)
			assert.Equal(t, "admin-1", u.CreatedBy)
			assert.EqualValues(t, 100, u.Length)
		})
	}
}

func TestPostWithoutAuthorizeIsRefused(t *testing.T) {
	f := newFixture(t, upload.Config{}, func(d *upload.Deps) { d.Authorize = nil })
	h := tus("Upload-Length", "100", "Upload-Metadata", "videoId "+b64("v")+",filename "+b64("a.mp4"))
	code, body := status(t, serve(f.srv, http.MethodPost, "/uploads/", h, nil))
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "createUpload")
}

func TestRequestsOnAnUpload(t *testing.T) {
	f := newFixture(t, upload.Config{})
	up := f.create(10)
	octet := "application/offset+octet-stream"
	unknown := "/uploads/0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		method  string
		path    string
		header  http.Header
		body    string
		status  int
		message string
	}{
		{"head", http.MethodHead, up.URL, tus(), "", http.StatusOK, ""},
		{"head by override", http.MethodPost, up.URL, tus("X-HTTP-Method-Override", "HEAD"), "", http.StatusOK, ""},
		{"head unknown", http.MethodHead, unknown, tus(), "", http.StatusNotFound, ""},
		{"head malformed id", http.MethodHead, "/uploads/..%2F..%2Fetc", tus(), "", http.StatusNotFound, ""},
		{"head nested path", http.MethodHead, up.URL + "/x", tus(), "", http.StatusNotFound, ""},
		{"outside base path", http.MethodHead, "/other/" + up.ID, tus(), "", http.StatusNotFound, ""},
		{"head without tus", http.MethodHead, up.URL, nil, "", http.StatusPreconditionFailed, ""},
		{"patch without tus", http.MethodPatch, up.URL, http.Header{"Content-Type": {octet}, "Upload-Offset": {"0"}}, "abc", http.StatusPreconditionFailed, "Tus-Resumable"},
		{"patch wrong type", http.MethodPatch, up.URL, tus("Content-Type", "application/json", "Upload-Offset", "0"), "abc", http.StatusUnsupportedMediaType, "application/offset+octet-stream"},
		{"patch no type", http.MethodPatch, up.URL, tus("Upload-Offset", "0"), "abc", http.StatusUnsupportedMediaType, ""},
		{"patch no offset", http.MethodPatch, up.URL, tus("Content-Type", octet), "abc", http.StatusBadRequest, "Upload-Offset"},
		{"patch wrong offset", http.MethodPatch, up.URL, tus("Content-Type", octet, "Upload-Offset", "3"), "abc", http.StatusConflict, "does not match"},
		{"patch too long", http.MethodPatch, up.URL, tus("Content-Type", octet, "Upload-Offset", "0"), "01234567890", http.StatusRequestEntityTooLarge, "goes past Upload-Length"},
		{"patch unknown", http.MethodPatch, unknown, tus("Content-Type", octet, "Upload-Offset", "0"), "abc", http.StatusNotFound, "upload not found"},
		{"get", http.MethodGet, up.URL, tus(), "", http.StatusMethodNotAllowed, ""},
		{"post to an upload", http.MethodPost, up.URL, tus(), "", http.StatusMethodNotAllowed, ""},
		{"patch the collection", http.MethodPatch, "/uploads/", tus("Content-Type", octet, "Upload-Offset", "0"), "", http.StatusMethodNotAllowed, ""},
		{"delete unknown", http.MethodDelete, unknown, tus(), "", http.StatusNotFound, ""},
		{"patch ok", http.MethodPatch, up.URL, tus("Content-Type", octet, "Upload-Offset", "0"), "abc", http.StatusNoContent, ""},
		{"head after patch", http.MethodHead, up.URL, tus(), "", http.StatusOK, ""},
		{"patch by override", http.MethodPost, up.URL, tus("X-HTTP-Method-Override", "PATCH", "Content-Type", octet, "Upload-Offset", "3"), "def", http.StatusNoContent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := serve(f.srv, tt.method, tt.path, tt.header, strings.NewReader(tt.body))
			code, body := status(t, resp)
			require.Equal(t, tt.status, code, body)
			assert.Equal(t, "1.0.0", resp.Header.Get("Tus-Resumable"))
			assert.Contains(t, body, tt.message)
		})
	}
	t.Run("head reports progress", func(t *testing.T) {
		resp := serve(f.srv, http.MethodHead, up.URL, tus(), nil)
		assert.Equal(t, "6", resp.Header.Get("Upload-Offset"))
		assert.Equal(t, "10", resp.Header.Get("Upload-Length"))
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		assert.Equal(t, "filename "+b64("movie.mp4")+",videoId "+b64("video-1"), resp.Header.Get("Upload-Metadata"))
		assert.Equal(t, f.clock.Now().Add(upload.DefaultExpiry).Format(http.TimeFormat), resp.Header.Get("Upload-Expires"))
	})
}

func TestPatchAnswersWithProgress(t *testing.T) {
	f := newFixture(t, upload.Config{})
	up := f.create(6)
	resp := f.patch(f.srv, up.URL, 0, strings.NewReader("abc"), 3)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "3", resp.Header.Get("Upload-Offset"))
	assert.Equal(t, f.clock.Now().Add(upload.DefaultExpiry).Format(http.TimeFormat), resp.Header.Get("Upload-Expires"))

	resp = f.patch(f.srv, up.URL, 3, strings.NewReader("def"), 3)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "6", resp.Header.Get("Upload-Offset"))
	assert.Empty(t, resp.Header.Get("Upload-Expires"), "a completed upload does not expire")

	t.Run("a chunked body past the length", func(t *testing.T) {
		up := f.create(3)
		code, body := status(t, f.patch(f.srv, up.URL, 0, strings.NewReader("abcdef"), -1))
		assert.Equal(t, http.StatusRequestEntityTooLarge, code)
		assert.Contains(t, body, "more bytes than Upload-Length")
		u, err := f.srv.Get(t.Context(), up.ID)
		require.NoError(t, err)
		assert.True(t, u.Completed)
		assert.Equal(t, sha([]byte("abc")), u.MediaID)
	})
}
