package upload

import (
	"errors"
	"net/http"

	"github.com/dflix/dflix/services/platform"
)

// Statuses the tus endpoint answers with instead of its kind's.
const (
	statusTooLarge = http.StatusRequestEntityTooLarge
	statusGone     = http.StatusGone
)

// statusError is the cause of a classified error that the tus endpoint
// answers with a status of its own (410 for an expired upload, 413 for too
// many bytes) while Go callers see the error's kind.
type statusError struct{ status int }

func (e statusError) Error() string { return http.StatusText(e.status) }

// gone is the error for an expired upload: KindNotFound, and 410 on the tus
// endpoint.
func gone() error {
	return platform.E(platform.KindNotFound, "upload expired", statusError{status: statusGone})
}

// statusOf maps err to the status the tus endpoint answers with.
func statusOf(err error) int {
	var se statusError
	if errors.As(err, &se) {
		return se.status
	}
	return platform.HTTPStatus(platform.KindOf(err))
}

// writeError answers err as a plain-text message with its status; the
// details of internal errors go to the log only.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= http.StatusInternalServerError {
		s.deps.Logger.ErrorContext(r.Context(), "upload: request failed",
			"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	} else {
		s.deps.Logger.DebugContext(r.Context(), "upload: request refused",
			"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	http.Error(w, platform.PublicMessage(err), status)
}
