package catalog

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
)

// MediaStatus is where a video's uploaded media is in the encoder.
type MediaStatus string

// The media statuses. READY and FAILED are final for one media; a new
// upload starts over at PENDING.
const (
	MediaPending    MediaStatus = "PENDING"
	MediaProcessing MediaStatus = "PROCESSING"
	MediaReady      MediaStatus = "READY"
	MediaFailed     MediaStatus = "FAILED"
)

// Media is a video's uploaded file and what the encoder made of it, as the
// media events told catalog.
type Media struct {
	// ID is the hex SHA-256 of the uploaded bytes.
	ID       string      `json:"id"`
	Status   MediaStatus `json:"status"`
	Percent  float64     `json:"percent"`
	Filename string      `json:"filename,omitempty"`
	Size     int64       `json:"size,omitempty"`
	// UploadedAt is the time of the upload-completed event; an older upload
	// event never replaces a newer media.
	UploadedAt      time.Time   `json:"uploadedAt"`
	DurationSeconds float64     `json:"durationSeconds,omitempty"`
	Width           int         `json:"width,omitempty"`
	Height          int         `json:"height,omitempty"`
	HasAudio        bool        `json:"hasAudio,omitempty"`
	Renditions      []Rendition `json:"renditions,omitempty"`
	Findings        []Finding   `json:"findings,omitempty"`
	// Reason says why the media FAILED.
	Reason string `json:"reason,omitempty"`
	// Ahead is a newer media of the video whose encoding events arrived
	// before its upload event; that event makes it the video's media.
	Ahead *Media `json:"ahead,omitempty"`
}

// Rendition is one rung of a READY media's HLS ladder.
type Rendition struct {
	Name         string `json:"name"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Bandwidth    int    `json:"bandwidth"`
	Codecs       string `json:"codecs"`
	DownloadSize int64  `json:"downloadSize"`
}

// Finding is one quality-check observation on a READY media.
type Finding struct {
	Check  string  `json:"check"`
	Start  float64 `json:"start"`
	End    float64 `json:"end"`
	Detail string  `json:"detail"`
}

// handleMediaEvent records one of the encoder's (or the upload endpoint's)
// facts on the video it is about. Every change is idempotent and ordered by
// the media: events of a media the video no longer has change nothing, and
// a final status is never undone by a late progress event.
func (s *Service) handleMediaEvent(ctx context.Context, ev platform.Event) error {
	var change func(*Video)
	var videoID string
	switch ev.Type {
	case encoder.EventUploadCompleted:
		var p encoder.UploadCompleted
		if err := ev.Decode(&p); err != nil {
			return err
		}
		videoID, change = p.VideoID, func(v *Video) { uploaded(v, p, ev.Time) }
	case encoder.EventEncodingProgress:
		var p encoder.EncodingProgress
		if err := ev.Decode(&p); err != nil {
			return err
		}
		videoID, change = p.VideoID, func(v *Video) { progressed(v, p) }
	case encoder.EventEncodingCompleted:
		var p encoder.EncodingCompleted
		if err := ev.Decode(&p); err != nil {
			return err
		}
		videoID, change = p.VideoID, func(v *Video) { encoded(v, p) }
	case encoder.EventEncodingFailed:
		var p encoder.EncodingFailed
		if err := ev.Decode(&p); err != nil {
			return err
		}
		videoID, change = p.VideoID, func(v *Video) { failed(v, p) }
	default:
		return nil
	}
	id, err := parseID(videoID)
	if err != nil {
		return platform.Drop(fmt.Errorf("catalog: %s event %s: %w", ev.Type, ev.ID, err))
	}
	if _, err := s.changeVideo(ctx, id, change); err != nil {
		if platform.KindOf(err) == platform.KindNotFound {
			return nil // the video was deleted: nothing to record
		}
		return fmt.Errorf("catalog: record %s event %s on video %s: %w", ev.Type, ev.ID, id, err)
	}
	return nil
}

// uploaded starts a new media at PENDING unless the video already has this
// media or a newer upload. Encoding events of this media that arrived
// before it (its Ahead) are kept, and an upload event that arrives after
// the outcome it caused only adds what it knows of the file.
func uploaded(v *Video, p encoder.UploadCompleted, at time.Time) {
	m := v.Media
	if m != nil && m.ID == p.MediaID && m.UploadedAt.IsZero() {
		m.Filename, m.Size, m.UploadedAt = p.Filename, p.Size, at
		return
	}
	// A FAILED media starts over only on a later upload of the same file,
	// never on a redelivery of the upload event that failed.
	if m != nil && (m.ID == p.MediaID && (m.Status != MediaFailed || !at.After(m.UploadedAt)) || m.UploadedAt.After(at)) {
		return
	}
	next := &Media{ID: p.MediaID, Status: MediaPending}
	if m != nil && m.Ahead != nil && m.Ahead.ID == p.MediaID {
		next = m.Ahead
	}
	next.Filename, next.Size, next.UploadedAt = p.Filename, p.Size, at
	v.Media = next
	setStatus(v, next)
}

// target returns the media an encoding event of mediaID is about: the
// video's media, a new one when it has none (its upload event is late), or,
// for another media, the one kept ahead of its upload event (a re-upload
// whose events overtook its upload event).
func target(v *Video, mediaID string) *Media {
	switch m := v.Media; {
	case m == nil:
		v.Media = &Media{ID: mediaID, Status: MediaPending}
		return v.Media
	case m.ID == mediaID:
		return m
	case m.Ahead == nil || m.Ahead.ID != mediaID:
		m.Ahead = &Media{ID: mediaID, Status: MediaPending}
	}
	return v.Media.Ahead
}

// setStatus makes the video's status follow m when m is its media (not
// one kept ahead).
func setStatus(v *Video, m *Media) {
	if m != v.Media {
		return
	}
	switch m.Status {
	case MediaReady:
		v.Status = StatusReady
		if d := m.DurationSeconds; d > 0 {
			v.DurationSeconds = int(math.Round(d))
		}
	case MediaFailed:
		v.Status = StatusFailed
	default:
		v.Status = StatusProcessing
	}
}

// progressed raises the percent of a media while it is being encoded;
// progress only goes forward. A FAILED media keeps how far it got, from
// whichever progress events arrive, before or after its failure.
func progressed(v *Video, p encoder.EncodingProgress) {
	m := target(v, p.MediaID)
	pct := math.Round(min(max(p.Percent, 0), 100)*10) / 10
	switch m.Status {
	case MediaReady:
		return
	case MediaFailed:
		m.Percent = max(pct, m.Percent)
		return
	}
	if m.Status == MediaProcessing && pct <= m.Percent {
		return
	}
	m.Status, m.Percent = MediaProcessing, max(pct, m.Percent)
	setStatus(v, m)
}

// encoded records a READY media.
func encoded(v *Video, p encoder.EncodingCompleted) {
	m := target(v, p.MediaID)
	r := p.Result
	m.Status, m.Percent, m.Reason = MediaReady, 100, ""
	m.DurationSeconds, m.Width, m.Height, m.HasAudio = r.DurationSeconds, r.Width, r.Height, r.HasAudio
	m.Renditions = m.Renditions[:0:0]
	for _, rn := range r.Renditions {
		m.Renditions = append(m.Renditions, Rendition{Name: rn.Name, Width: rn.Width, Height: rn.Height,
			Bandwidth: rn.Bandwidth, Codecs: rn.Codecs, DownloadSize: rn.DownloadSize})
	}
	m.Findings = m.Findings[:0:0]
	for _, f := range r.Findings {
		m.Findings = append(m.Findings, Finding(f))
	}
	setStatus(v, m)
}

// failed records a FAILED media with the encoder's reason.
func failed(v *Video, p encoder.EncodingFailed) {
	m := target(v, p.MediaID)
	if m.Status == MediaReady {
		return
	}
	m.Status, m.Reason = MediaFailed, p.Reason
	setStatus(v, m)
}

// cloneMedia deep-copies a media, so a projection's copy is never shared.
func cloneMedia(m *Media) *Media {
	if m == nil {
		return nil
	}
	c := *m
	c.Renditions = slices.Clone(m.Renditions)
	c.Findings = slices.Clone(m.Findings)
	c.Ahead = cloneMedia(m.Ahead)
	return &c
}
