package telemetry

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StreamWindow is how recently a playback link must have fetched a
// segment to count as an active stream.
const StreamWindow = time.Minute

// Streams counts active streams as the distinct playback links (signed
// tokens, one per playback call) that fetched an HLS segment successfully
// within StreamWindow. A player fetches a segment every few seconds, so a
// playing viewer counts and a paused or closed one drops out within the
// window; two tabs of one viewer with two playback calls count twice, and
// playlists, posters and downloads never count. It is the gauge
// dflix_active_streams.
type Streams struct {
	now    func() time.Time
	mu     sync.Mutex
	seen   map[string]time.Time // token -> last segment served
	pruned time.Time
	desc   *prometheus.Desc
}

// NewStreams returns an empty count; now defaults to time.Now.
func NewStreams(now func() time.Time) *Streams {
	if now == nil {
		now = time.Now
	}
	return &Streams{now: now, seen: map[string]time.Time{},
		desc: prometheus.NewDesc("dflix_active_streams", "Distinct playback links that fetched an HLS segment in the last minute.", nil, nil)}
}

// Middleware notes each segment that h serves under /media/<token>/ with
// a 2xx status (a tampered or expired token gets 403 and never counts).
func (s *Streams) Middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := segmentToken(r.URL.Path)
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		if sw.code/100 == 2 {
			s.saw(token)
		}
	})
}

// segmentToken returns the token of a segment request's path.
func segmentToken(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/media/")
	if !ok || !(strings.HasSuffix(rest, ".ts") || strings.HasSuffix(rest, ".m4s")) {
		return "", false
	}
	token, _, ok := strings.Cut(rest, "/")
	return token, ok && token != ""
}

func (s *Streams) saw(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.seen[token] = now
	if now.Sub(s.pruned) > StreamWindow {
		s.prune(now) // without scrapes the map would keep every link ever played
	}
}

// Active returns the streams active now, forgetting the lapsed ones.
func (s *Streams) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(s.now())
	return len(s.seen)
}

func (s *Streams) prune(now time.Time) {
	cutoff := now.Add(-StreamWindow)
	for token, at := range s.seen {
		if at.Before(cutoff) {
			delete(s.seen, token)
		}
	}
	s.pruned = now
}

// Describe describes dflix_active_streams.
func (s *Streams) Describe(ch chan<- *prometheus.Desc) { ch <- s.desc }

// Collect reports dflix_active_streams.
func (s *Streams) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, float64(s.Active()))
}
