package encoder

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Progress phases: the ladder encode takes the percentages up to
// encodeShare, the downloads and the upload the rest.
const (
	encodeShare     = 90.0
	remuxedPercent  = 95.0
	progressTimeout = 5 * time.Second
)

// progressLine reads one line of ffmpeg's -progress output and returns the
// output time it reports, in seconds (ok false for other lines). ffmpeg
// 5.1 writes out_time_us and, despite its name, out_time_ms in
// microseconds too.
func progressLine(line string) (float64, bool) {
	key, value, found := strings.Cut(line, "=")
	if !found || (key != "out_time_us" && key != "out_time_ms") {
		return 0, false
	}
	us, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || us < 0 {
		return 0, false
	}
	return float64(us) / 1e6, true
}

// tracker publishes a running job's progress: one EventEncodingProgress
// per video at most every Config.ProgressInterval, never going back. The
// events go straight to the publisher, not through the outbox: progress is
// ephemeral, and a lost one is superseded by the next.
type tracker struct {
	s       *Service
	mediaID string

	mu       sync.Mutex
	videos   []string
	percent  float64 // the highest reported
	sent     float64 // the highest published
	lastSent time.Time
}

func newTracker(s *Service, job Job) *tracker {
	return &tracker{s: s, mediaID: job.MediaID, videos: slices.Clone(job.VideoIDs)}
}

// setVideos replaces the videos to report to (a lease renewal read them).
func (t *tracker) setVideos(videos []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.videos = slices.Clone(videos)
}

// current returns the highest percent reported.
func (t *tracker) current() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.percent
}

// encoded reports the ladder encode at out seconds of total.
func (t *tracker) encoded(ctx context.Context, out, total float64) {
	if total <= 0 {
		return
	}
	t.report(ctx, min(max(out/total, 0), 1)*encodeShare, false)
}

// report records percent and publishes it when the interval allows or when
// force is set; lower values than already reported are ignored.
func (t *tracker) report(ctx context.Context, percent float64, force bool) {
	t.mu.Lock()
	if percent < t.percent {
		percent = t.percent
	}
	t.percent = percent
	now := time.Now()
	due := force || now.Sub(t.lastSent) >= t.s.cfg.ProgressInterval
	if !due || percent <= t.sent && !t.lastSent.IsZero() {
		t.mu.Unlock()
		return
	}
	t.sent, t.lastSent = percent, now
	videos := slices.Clone(t.videos)
	t.mu.Unlock()
	t.publish(ctx, videos, percent)
}

// publish sends one progress event per video; failures are only logged.
func (t *tracker) publish(ctx context.Context, videos []string, percent float64) {
	ctx, cancel := context.WithTimeout(ctx, progressTimeout)
	defer cancel()
	rounded := float64(int(percent*10)) / 10
	for _, v := range videos {
		ev, err := t.s.event(EventEncodingProgress, EncodingProgress{VideoID: v, MediaID: t.mediaID, Percent: rounded})
		if err == nil {
			err = t.s.pub.Publish(ctx, ev)
		}
		if err != nil {
			t.s.log.DebugContext(ctx, "encoder: progress not published", "media_id", t.mediaID, "err", err)
		}
	}
}
