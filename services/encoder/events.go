package encoder

// Topic carries the media facts: uploads completed (published by the BFF's
// upload endpoint, the encoder's input) and the encoder's progress and
// outcomes.
const Topic = "media"

// Event types on Topic.
const (
	EventUploadCompleted   = "upload.completed"
	EventEncodingProgress  = "encoding.progress"
	EventEncodingCompleted = "encoding.completed"
	EventEncodingFailed    = "encoding.failed"
)

// UploadCompleted is the payload of EventUploadCompleted: the bytes of a
// video's media are whole at SourceKey. MediaID is the hex SHA-256 of the
// bytes, so the same file uploaded twice is one media.
type UploadCompleted struct {
	VideoID   string `json:"videoId"`
	MediaID   string `json:"mediaId"`
	SourceKey string `json:"sourceKey"` // media/<mediaId>/source
	Size      int64  `json:"size"`
	Filename  string `json:"filename"`
}

// EncodingProgress is the payload of EventEncodingProgress, published at
// most about once a second per job while it runs. Percent is 0–100.
type EncodingProgress struct {
	VideoID string  `json:"videoId"`
	MediaID string  `json:"mediaId"`
	Percent float64 `json:"percent"`
}

// EncodingCompleted is the payload of EventEncodingCompleted, one per video
// of the job.
type EncodingCompleted struct {
	VideoID string `json:"videoId"`
	MediaID string `json:"mediaId"`
	Result  Result `json:"result"`
}

// EncodingFailed is the payload of EventEncodingFailed, one per video of the
// job. Reason says why in words an admin can act on.
type EncodingFailed struct {
	VideoID string `json:"videoId"`
	MediaID string `json:"mediaId"`
	Reason  string `json:"reason"`
}
