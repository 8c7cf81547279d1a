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
// media or a newer upload.
func uploaded(v *Video, p encoder.UploadCompleted, at time.Time) {
	if m := v.Media; m != nil && (m.ID == p.MediaID && m.Status != MediaFailed || m.UploadedAt.After(at)) {
		return
	}
	v.Media = &Media{ID: p.MediaID, Status: MediaPending, Filename: p.Filename, Size: p.Size, UploadedAt: at}
	v.Status = StatusProcessing
}

// progressed raises the percent of the video's current media while it is
// being encoded; progress only goes forward.
func progressed(v *Video, p encoder.EncodingProgress) {
	m := v.Media
	if m == nil || m.ID != p.MediaID || (m.Status != MediaPending && m.Status != MediaProcessing) {
		return
	}
	pct := math.Round(min(max(p.Percent, 0), 100)*10) / 10
	if m.Status == MediaProcessing && pct <= m.Percent {
		return
	}
	m.Status, m.Percent = MediaProcessing, max(pct, m.Percent)
	v.Status = StatusProcessing
}

// encoded records a READY media. A completion also lands on a video that
// never saw the upload event (events are not ordered).
func encoded(v *Video, p encoder.EncodingCompleted) {
	m := v.Media
	if m != nil && m.ID != p.MediaID {
		return
	}
	if m == nil {
		m = &Media{ID: p.MediaID}
	}
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
	v.Media, v.Status = m, StatusReady
	v.DurationSeconds = int(math.Round(r.DurationSeconds))
}

// failed records a FAILED media with the encoder's reason.
func failed(v *Video, p encoder.EncodingFailed) {
	m := v.Media
	if m != nil && (m.ID != p.MediaID || m.Status == MediaReady) {
		return
	}
	if m == nil {
		m = &Media{ID: p.MediaID}
	}
	m.Status, m.Reason = MediaFailed, p.Reason
	v.Media, v.Status = m, StatusFailed
}

// cloneMedia deep-copies a media, so a projection's copy is never shared.
func cloneMedia(m *Media) *Media {
	if m == nil {
		return nil
	}
	c := *m
	c.Renditions = slices.Clone(m.Renditions)
	c.Findings = slices.Clone(m.Findings)
	return &c
}
