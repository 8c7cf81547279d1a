package media_test

import (
	"context"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/platform"
)

func TestGatewayServesFiles(t *testing.T) {
	f := newFixture(t)
	play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	dl, _ := f.signer.DownloadURL(alice, "video-a", mediaA, "720p", "Amélie", time.Hour)
	hls := "media/" + mediaA + "/hls/"
	tests := []struct {
		name        string
		target      string
		key         string
		contentType string
		disposition string
	}{
		{"master", play, hls + "master.m3u8", "application/vnd.apple.mpegurl", ""},
		{"rendition playlist", dir(play) + "720p/index.m3u8", hls + "720p/index.m3u8", "application/vnd.apple.mpegurl", ""},
		{"segment", dir(play) + "720p/seg-00001.ts", hls + "720p/seg-00001.ts", "video/mp2t", ""},
		{"fmp4 segment", dir(play) + "720p/init.m4s", hls + "720p/init.m4s", "video/iso.segment", ""},
		{"poster", dir(play) + "poster.jpg", hls + "poster.jpg", "image/jpeg", ""},
		{"thumbnails", dir(play) + "thumbnails.jpg", hls + "thumbnails.jpg", "image/jpeg", ""},
		{"subtitles", dir(play) + "subs.vtt", hls + "subs.vtt", "text/vtt; charset=utf-8", ""},
		{"download", dl, "media/" + mediaA + "/mp4/720p.mp4", "video/mp4", `attachment; filename*=utf-8''Am%C3%A9lie.mp4`},
		{"download under any name", dir(dl) + "whatever.mp4", "media/" + mediaA + "/mp4/720p.mp4", "video/mp4", `attachment; filename=whatever.mp4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(f.gw, http.MethodGet, tt.target, nil)
			got := body(t, resp)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(got))
			assert.Equal(t, f.files[tt.key], got)
			assert.Equal(t, tt.contentType, resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.disposition, resp.Header.Get("Content-Disposition"))
			assert.Equal(t, "bytes", resp.Header.Get("Accept-Ranges"))
			assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
			assert.Regexp(t, `^"[0-9a-f]{16}-\d+"$`, resp.Header.Get("ETag"))
		})
	}
}

func TestGatewayRefuses(t *testing.T) {
	f := newFixture(t)
	play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	dl, _ := f.signer.DownloadURL(alice, "video-a", mediaA, "1080p", "x", time.Hour)
	d := dir(play)
	tests := []struct {
		name   string
		method string
		target string
		status int
	}{
		{"post", http.MethodPost, play, http.StatusMethodNotAllowed},
		{"put", http.MethodPut, play, http.StatusMethodNotAllowed},
		{"missing file", http.MethodGet, d + "1080p/index.m3u8", http.StatusNotFound},
		{"missing rendition download", http.MethodGet, dl, http.StatusNotFound},
		{"download in a folder", http.MethodGet, dir(dl) + "a/b.mp4", http.StatusNotFound},
		{"encoded dot dot", http.MethodGet, d + "..%2Fsource", http.StatusForbidden},
		{"encoded dots", http.MethodGet, d + "%2e%2e/source", http.StatusForbidden},
		{"climbing to mp4", http.MethodGet, d + "720p/../../mp4/720p.mp4", http.StatusForbidden},
		{"dot segment", http.MethodGet, d + "./master.m3u8", http.StatusForbidden},
		{"empty segment", http.MethodGet, d + "720p//index.m3u8", http.StatusForbidden},
		{"trailing slash", http.MethodGet, d + "720p/", http.StatusForbidden},
		{"absolute", http.MethodGet, d + "/etc/passwd", http.StatusForbidden},
		{"backslash", http.MethodGet, d + `..%5C..%5Csource`, http.StatusForbidden},
		{"nul", http.MethodGet, d + "master.m3u8%00.jpg", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(f.gw, tt.method, tt.target, nil)
			assert.Equal(t, tt.status, resp.StatusCode, string(body(t, resp)))
			if tt.status == http.StatusMethodNotAllowed {
				assert.Equal(t, "GET, HEAD", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestGatewayServesRanges(t *testing.T) {
	f := newFixture(t)
	play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	target := dir(play) + "720p/seg-00001.ts"
	file := f.files["media/"+mediaA+"/hls/720p/seg-00001.ts"]
	size := len(file)
	tests := []struct {
		name   string
		method string
		rng    string
		status int
		want   []byte
		parts  [][]byte // multi-range
	}{
		{"whole", http.MethodGet, "", http.StatusOK, file, nil},
		{"single", http.MethodGet, "bytes=100-199", http.StatusPartialContent, file[100:200], nil},
		{"open-ended", http.MethodGet, "bytes=99000-", http.StatusPartialContent, file[99000:], nil},
		{"suffix", http.MethodGet, "bytes=-500", http.StatusPartialContent, file[size-500:], nil},
		{"past the end is clamped", http.MethodGet, "bytes=99990-200000", http.StatusPartialContent, file[99990:], nil},
		{"multi", http.MethodGet, "bytes=0-9,5000-5099,-10", http.StatusPartialContent, nil, [][]byte{file[:10], file[5000:5100], file[size-10:]}},
		{"out of range", http.MethodGet, "bytes=200000-", http.StatusRequestedRangeNotSatisfiable, nil, nil},
		{"head", http.MethodHead, "", http.StatusOK, []byte{}, nil},
		{"head with range", http.MethodHead, "bytes=0-9", http.StatusPartialContent, []byte{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.rng != "" {
				h.Set("Range", tt.rng)
			}
			resp := get(f.gw, tt.method, target, h)
			require.Equal(t, tt.status, resp.StatusCode)
			switch {
			case tt.parts != nil:
				assert.Equal(t, tt.parts, multipartBodies(t, resp))
			case tt.want != nil:
				assert.Equal(t, tt.want, body(t, resp))
			}
			if tt.status == http.StatusRequestedRangeNotSatisfiable {
				assert.Equal(t, "bytes */100000", resp.Header.Get("Content-Range"))
			}
			if tt.method == http.MethodHead && tt.rng == "" {
				assert.Equal(t, "100000", resp.Header.Get("Content-Length"))
			}
		})
	}
}

// multipartBodies reads a multipart/byteranges response's parts.
func multipartBodies(t *testing.T, resp *http.Response) [][]byte {
	t.Helper()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	require.NoError(t, err)
	require.Equal(t, "multipart/byteranges", mt)
	mr := multipart.NewReader(resp.Body, params["boundary"])
	var parts [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		require.NoError(t, err)
		assert.Equal(t, "video/mp2t", p.Header.Get("Content-Type"))
		b, err := io.ReadAll(p)
		require.NoError(t, err)
		parts = append(parts, b)
	}
}

func TestGatewayCaching(t *testing.T) {
	f := newFixture(t)
	short, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	long, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 72*time.Hour)

	resp := get(f.gw, http.MethodGet, short, nil)
	assert.Equal(t, "private, max-age=600", resp.Header.Get("Cache-Control"))
	tag := resp.Header.Get("ETag")
	f.clock.Advance(4 * time.Minute)
	assert.Equal(t, "private, max-age=360", get(f.gw, http.MethodGet, short, nil).Header.Get("Cache-Control"))
	assert.Equal(t, "private, max-age=86400", get(f.gw, http.MethodGet, long, nil).Header.Get("Cache-Control"))

	resp = get(f.gw, http.MethodGet, short, http.Header{"If-None-Match": {tag}})
	assert.Equal(t, http.StatusNotModified, resp.StatusCode)
	assert.Empty(t, body(t, resp))
	resp = get(f.gw, http.MethodGet, dir(short)+"720p/index.m3u8", http.Header{"If-None-Match": {tag}})
	assert.Equal(t, http.StatusOK, resp.StatusCode, "each file has its own ETag")
}

// streamOnly is a Blob whose readers cannot seek, like a store that
// streams from the network.
type streamOnly struct{ platform.Blob }

func (s streamOnly) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.Blob.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	return struct{ io.ReadCloser }{rc}, nil
}

func TestGatewayStreamsWhatCannotSeek(t *testing.T) {
	f := newFixture(t)
	gw := media.NewGateway(f.signer, streamOnly{f.blobs}, nil, nil)
	play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	target := dir(play) + "720p/seg-00001.ts"
	file := f.files["media/"+mediaA+"/hls/720p/seg-00001.ts"]

	resp := get(gw, http.MethodGet, target, http.Header{"Range": {"bytes=0-9"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, "the range is ignored")
	assert.Equal(t, file, body(t, resp))
	assert.Equal(t, "100000", resp.Header.Get("Content-Length"))
	assert.Equal(t, "none", resp.Header.Get("Accept-Ranges"))
	assert.Equal(t, "video/mp2t", resp.Header.Get("Content-Type"))

	resp = get(gw, http.MethodHead, target, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "100000", resp.Header.Get("Content-Length"))
	assert.Empty(t, body(t, resp))

	tag := resp.Header.Get("ETag")
	assert.Equal(t, tag, get(f.gw, http.MethodHead, target, nil).Header.Get("ETag"), "the same ETag either way")
	assert.Equal(t, http.StatusNotModified, get(gw, http.MethodGet, target, http.Header{"If-None-Match": {"W/" + tag}}).StatusCode)
	assert.Equal(t, http.StatusNotFound, get(gw, http.MethodGet, dir(play)+"nope.ts", nil).StatusCode)
	assert.True(t, strings.HasPrefix(tag, `"`))
}
