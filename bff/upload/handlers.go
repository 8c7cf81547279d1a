package upload

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/dflix/dflix/services/platform"
)

// post creates an upload (tus creation): Upload-Length and Upload-Metadata
// with "videoId" and "filename" (or "name"), after Deps.Authorize.
func (s *Server) post(w http.ResponseWriter, r *http.Request) {
	req, err := s.parseCreation(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if s.deps.Authorize == nil {
		s.writeError(w, r, platform.E(platform.KindForbidden, "uploads are created with the createUpload mutation", nil))
		return
	}
	caller, err := s.deps.Authorize(r.Context(), r, req.VideoID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	req.CreatedBy = caller.UserID
	resp, err := s.Create(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", resp.URL)
	w.Header().Set("Upload-Expires", httpDate(resp.ExpiresAt))
	w.WriteHeader(http.StatusCreated)
}

// parseCreation reads a tus creation request's headers.
func (s *Server) parseCreation(r *http.Request) (CreateRequest, error) {
	if r.Header.Get("Upload-Defer-Length") != "" {
		return CreateRequest{}, platform.E(platform.KindInvalid, "Upload-Defer-Length is not supported: send Upload-Length", nil)
	}
	if r.Header.Get("Upload-Concat") != "" {
		return CreateRequest{}, platform.E(platform.KindInvalid, "Upload-Concat is not supported", nil)
	}
	length, err := parseSize(r.Header.Get("Upload-Length"), "Upload-Length")
	if err != nil {
		return CreateRequest{}, err
	}
	if length > s.cfg.MaxSize {
		return CreateRequest{}, s.tooLarge(length)
	}
	meta, err := parseMetadata(r.Header.Get("Upload-Metadata"))
	if err != nil {
		return CreateRequest{}, err
	}
	req := CreateRequest{VideoID: meta["videoId"], Filename: meta["filename"], Size: length}
	if req.Filename == "" {
		req.Filename = meta["name"]
	}
	if req.VideoID == "" {
		return CreateRequest{}, platform.E(platform.KindInvalid, "Upload-Metadata must carry videoId", nil)
	}
	return req, nil
}

// head tells where an upload stands, finishing it first if all its bytes
// are in but its completion was interrupted.
func (s *Server) head(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("Cache-Control", "no-store")
	u, err := s.current(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	setProgress(h, u)
	h.Set("Upload-Length", strconv.FormatInt(u.Length, 10))
	h.Set("Upload-Metadata", encodeMetadata(map[string]string{"videoId": u.VideoID, "filename": u.Filename}))
	w.WriteHeader(http.StatusOK)
}

// current returns an upload that is not expired, completed if its bytes
// are all in.
func (s *Server) current(ctx context.Context, id string) (Upload, error) {
	u, _, err := s.load(ctx, id)
	switch {
	case err != nil:
		return Upload{}, err
	case u.expired(s.deps.Clock()):
		return Upload{}, gone()
	case u.complete() && !u.Completed:
		return s.complete(ctx, id)
	}
	return u, nil
}

// patch appends the body at Upload-Offset.
func (s *Server) patch(w http.ResponseWriter, r *http.Request, id string) {
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != offsetContentType {
		http.Error(w, "Content-Type must be "+offsetContentType, http.StatusUnsupportedMediaType)
		return
	}
	offset, err := parseSize(r.Header.Get("Upload-Offset"), "Upload-Offset")
	if err == nil {
		err = s.precheck(r.Context(), id, offset, r.ContentLength)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.Write(r.Context(), id, offset, r.Body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	setProgress(w.Header(), u)
	w.WriteHeader(http.StatusNoContent)
}

// precheck refuses a PATCH before its body is read: an unknown or expired
// upload, a wrong offset, or a declared body longer than what is missing.
func (s *Server) precheck(ctx context.Context, id string, offset, contentLength int64) error {
	u, err := s.current(ctx, id)
	switch {
	case err != nil:
		return err
	case offset != u.Offset:
		return platform.Errorf(platform.KindConflict, "Upload-Offset %d does not match the upload's offset %d", offset, u.Offset)
	case contentLength > u.Length-u.Offset:
		return platform.E(platform.KindInvalid,
			fmt.Sprintf("the body of %d bytes goes past Upload-Length: %d bytes are missing", contentLength, u.Length-u.Offset),
			statusError{status: statusTooLarge})
	}
	return nil
}

// delete terminates an upload.
func (s *Server) delete(w http.ResponseWriter, r *http.Request, id string) {
	if err := s.Terminate(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// parseSize reads a non-negative byte count from a header.
func parseSize(value, header string) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil || n < 0 {
		return 0, platform.E(platform.KindInvalid, header+" must be a non-negative integer", err)
	}
	return n, nil
}
