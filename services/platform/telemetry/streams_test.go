package telemetry_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/dflix/dflix/services/platform/telemetry"
)

func TestStreamsCountsLinksPlayingSegments(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	s := telemetry.NewStreams(func() time.Time { return now })
	h := s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/media/forged/hls/360p/seg-0001.ts" {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	get := func(path string) { h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil)) }

	get("/media/tokA/hls/360p/seg-0001.ts")
	get("/media/tokA/hls/360p/seg-0002.ts")
	get("/media/tokB/hls/240p/seg-0001.ts")
	get("/media/tokC/hls/master.m3u8")        // a playlist alone is no stream
	get("/media/tokD/download/720p.mp4")      // nor a download
	get("/media/forged/hls/360p/seg-0001.ts") // refused
	assert.Equal(t, 2, s.Active(), "two links played segments")

	now = now.Add(40 * time.Second)
	get("/media/tokB/hls/240p/seg-0002.ts")
	now = now.Add(30 * time.Second)
	assert.Equal(t, 1, s.Active(), "tokA stopped more than a minute ago")
}
