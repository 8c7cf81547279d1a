package encoder

import (
	"context"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// AppID is the service's name on the wire (Dapr app id, invoker target).
const AppID = "encoder"

// API is what the encoder answers besides its events: the state of a job.
// *Service implements it in process; Client over a platform.Invoker.
//
// GetJob is for admins (KindUnauthenticated or KindForbidden to others),
// KindInvalid for a malformed media id and KindNotFound for an unknown one.
type API interface {
	GetJob(ctx context.Context, req GetJobRequest) (GetJobResponse, error)
}

// Method names on the wire.
const (
	MethodGetJob = "GetJob"
)

// JobStatus is where a job is in its life.
type JobStatus string

// The job statuses. Done and Failed are final.
const (
	JobQueued  JobStatus = "queued"
	JobRunning JobStatus = "running"
	JobDone    JobStatus = "done"
	JobFailed  JobStatus = "failed"
)

// Job is the encoding of one source media (by content hash) for the videos
// that use it. It is stored in the encoder's state under "job:<mediaId>".
type Job struct {
	MediaID   string    `json:"mediaId"`
	SourceKey string    `json:"sourceKey"`
	VideoIDs  []string  `json:"videoIds"`
	Status    JobStatus `json:"status"`
	// Attempts counts the runs started; a job whose runs keep crashing the
	// encoder fails after Config.MaxAttempts.
	Attempts int `json:"attempts"`
	// Owner and LeaseUntil say which encoder instance runs the job and until
	// when; a running job whose lease lapsed is picked up again.
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
	// NotBefore holds a queued job back after a transient failure.
	NotBefore time.Time `json:"notBefore,omitzero"`
	Percent   float64   `json:"percent"`
	Result    *Result   `json:"result,omitempty"`
	// Reason says why a failed job failed.
	Reason string `json:"reason,omitempty"`
	// LastError is the transient error that ended the previous run, if any.
	LastError string    `json:"lastError,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Result is what a successful job produced. Every key is a Blob key.
type Result struct {
	DurationSeconds float64 `json:"durationSeconds"`
	Width           int     `json:"width"`
	Height          int     `json:"height"`
	HasAudio        bool    `json:"hasAudio"`
	MasterKey       string  `json:"masterKey"` // media/<id>/hls/master.m3u8
	PosterKey       string  `json:"posterKey"` // media/<id>/hls/poster.jpg
	ThumbnailsKey   string  `json:"thumbnailsKey"`
	// Thumbnails says how the strip at ThumbnailsKey is laid out.
	Thumbnails ThumbnailGrid `json:"thumbnails"`
	Renditions []Rendition   `json:"renditions"`
	Findings   []Finding     `json:"findings"`
	// CPUSeconds is the user+system CPU time the encode took.
	CPUSeconds float64 `json:"cpuSeconds"`
}

// Rendition is one rung of the HLS ladder.
type Rendition struct {
	Name        string `json:"name"` // "240p" … "1080p"
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bandwidth   int    `json:"bandwidth"`   // bits per second, as in the master playlist
	Codecs      string `json:"codecs"`      // e.g. "avc1.64001f,mp4a.40.2"
	PlaylistKey string `json:"playlistKey"` // media/<id>/hls/<name>/index.m3u8
	// DownloadKey is the whole rendition as one MP4 (media/<id>/mp4/<name>.mp4).
	DownloadKey  string `json:"downloadKey"`
	DownloadSize int64  `json:"downloadSize"`
}

// ThumbnailGrid is the layout of the thumbnail strip: Count thumbnails of
// Width x Height pixels, left to right then top to bottom in Columns x Rows
// cells, thumbnail i taken at i*IntervalSeconds.
type ThumbnailGrid struct {
	Count           int     `json:"count"`
	Columns         int     `json:"columns"`
	Rows            int     `json:"rows"`
	Width           int     `json:"width"`
	Height          int     `json:"height"`
	IntervalSeconds float64 `json:"intervalSeconds"`
}

// Finding is one quality-check observation.
type Finding struct {
	// Check is "black", "freeze", "silence" or "duration-drift".
	Check  string  `json:"check"`
	Start  float64 `json:"start"` // seconds
	End    float64 `json:"end"`
	Detail string  `json:"detail"`
}

// GetJobRequest asks for the job of one media.
type GetJobRequest struct {
	Caller  platform.Caller `json:"caller"`
	MediaID string          `json:"mediaId"`
}

// GetJobResponse is the job.
type GetJobResponse struct {
	Job Job `json:"job"`
}
