package upload

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dflix/dflix/services/platform"
)

// Limits on the names an upload carries.
const (
	maxFilename = 255
	maxVideoID  = 128
)

// CreateRequest asks for a new upload of Size bytes for a video.
// CreatedBy is the user id of the admin asking, for the record.
type CreateRequest struct {
	VideoID   string
	Filename  string
	Size      int64
	CreatedBy string
}

// CreateResponse says where to send the bytes. URL (BasePath+ID, after
// Config.PublicURL) is a tus upload URL: knowing it is the permission to
// send, query and terminate the upload until ExpiresAt.
type CreateResponse struct {
	ID        string
	URL       string
	ExpiresAt time.Time
}

// Create stores a new, empty upload. It does not check who asks: the caller
// (the createUpload resolver, or the tus POST after Deps.Authorize) has.
//
// Errors: KindInvalid for an empty video id, a size outside 1..MaxSize (the
// message names the limit) or a filename that is empty, longer than 255
// bytes, or holds a path separator or a control character; a failed write
// keeps its kind (KindUnavailable).
func (s *Server) Create(ctx context.Context, req CreateRequest) (CreateResponse, error) {
	if err := s.checkCreate(req); err != nil {
		return CreateResponse{}, fmt.Errorf("upload: create: %w", err)
	}
	id, err := newID()
	if err != nil {
		return CreateResponse{}, fmt.Errorf("upload: create: %w", err)
	}
	now := s.deps.Clock().UTC()
	u := Upload{
		ID: id, VideoID: req.VideoID, Filename: req.Filename, Length: req.Size,
		CreatedBy: req.CreatedBy, CreatedAt: now, ExpiresAt: now.Add(s.cfg.Expiry),
	}
	err = s.outbox.Write(ctx, conflictTries, func(b *platform.Batch) error {
		b.Set(recordKey(id), u, "", true)
		b.Add(s.ids.AddOps(ctx, id))
		return nil
	})
	if err != nil {
		return CreateResponse{}, fmt.Errorf("upload: create: %w", err)
	}
	s.deps.Logger.InfoContext(ctx, "upload created", "upload_id", id, "video_id", req.VideoID, "size", req.Size)
	return CreateResponse{ID: id, URL: s.url(id), ExpiresAt: u.ExpiresAt}, nil
}

// checkCreate validates a CreateRequest.
func (s *Server) checkCreate(req CreateRequest) error {
	switch {
	case strings.TrimSpace(req.VideoID) == "":
		return platform.E(platform.KindInvalid, "videoId is required", nil)
	case len(req.VideoID) > maxVideoID || hasControl(req.VideoID):
		return platform.E(platform.KindInvalid, "videoId is malformed", nil)
	case req.Size < 1:
		return platform.Errorf(platform.KindInvalid, "size must be at least 1 byte")
	case req.Size > s.cfg.MaxSize:
		return s.tooLarge(req.Size)
	}
	return checkFilename(req.Filename)
}

// tooLarge is the error for an upload longer than MaxSize: KindInvalid,
// and 413 on the tus endpoint.
func (s *Server) tooLarge(size int64) error {
	return platform.E(platform.KindInvalid,
		fmt.Sprintf("file is too large: %d bytes, the limit is %d bytes (%s)", size, s.cfg.MaxSize, humanBytes(s.cfg.MaxSize)),
		statusError{status: statusTooLarge})
}

// checkFilename accepts a plain file name (no directories).
func checkFilename(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return platform.E(platform.KindInvalid, "filename is required", nil)
	case len(name) > maxFilename:
		return platform.Errorf(platform.KindInvalid, "filename is longer than %d bytes", maxFilename)
	case !utf8.ValidString(name):
		return platform.E(platform.KindInvalid, "filename is not valid UTF-8", nil)
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return platform.E(platform.KindInvalid, "filename must not contain a path", nil)
	case hasControl(name):
		return platform.E(platform.KindInvalid, "filename must not contain control characters", nil)
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// newID returns 128 random bits in hex: the upload's capability.
func newID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", platform.E(platform.KindInternal, "internal error", fmt.Errorf("random id: %w", err))
	}
	return hex.EncodeToString(b[:]), nil
}

// humanBytes formats n in binary units, e.g. "10 GiB".
func humanBytes(n int64) string {
	const unit = 1024
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", v), "0"), ".") + " " + units[i]
}
