package upload

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TusVersion is the tus protocol version served.
const TusVersion = "1.0.0"

// tusExtensions are the tus extensions served.
const tusExtensions = "creation,termination,expiration"

// offsetContentType is the Content-Type of a tus PATCH body.
const offsetContentType = "application/offset+octet-stream"

// ExposedHeaders returns the response headers that a browser's tus client
// must be allowed to read across origins (Access-Control-Expose-Headers).
func ExposedHeaders() []string {
	return []string{
		"Upload-Offset", "Location", "Upload-Length", "Tus-Version", "Tus-Resumable",
		"Tus-Max-Size", "Tus-Extension", "Upload-Metadata", "Upload-Expires",
	}
}

// AllowedHeaders returns the request headers that a browser's tus client
// sends across origins (Access-Control-Allow-Headers).
func AllowedHeaders() []string {
	return []string{
		"Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata",
		"Upload-Defer-Length", "Upload-Concat", "Content-Type", "Authorization",
		"X-HTTP-Method-Override",
	}
}

// AllowedMethods returns the methods the endpoint answers
// (Access-Control-Allow-Methods).
func AllowedMethods() []string {
	return []string{http.MethodPost, http.MethodHead, http.MethodPatch, http.MethodDelete, http.MethodOptions}
}

// ServeHTTP serves the tus protocol under Config.BasePath: OPTIONS
// (discovery), POST BasePath (creation, through Deps.Authorize), HEAD,
// PATCH and DELETE BasePath<id>. A POST may carry the method to use in
// X-HTTP-Method-Override. Every request but OPTIONS must carry
// Tus-Resumable: 1.0.0 (else 412). Errors are plain-text messages: 404 for
// an unknown upload, 410 for an expired one, 409 for an offset mismatch,
// 413 for too many bytes, 415 for a PATCH of another Content-Type.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Tus-Resumable", TusVersion)
	method := r.Method
	if o := r.Header.Get("X-HTTP-Method-Override"); o != "" && r.Method == http.MethodPost {
		method = strings.ToUpper(strings.TrimSpace(o))
	}
	id, collection, ok := s.route(r.URL.Path)
	switch {
	case !ok:
		http.NotFound(w, r)
	case method == http.MethodOptions:
		s.options(w)
	case r.Header.Get("Tus-Resumable") != TusVersion:
		w.Header().Set("Tus-Version", TusVersion)
		http.Error(w, "Tus-Resumable: "+TusVersion+" is required", http.StatusPreconditionFailed)
	case collection && method == http.MethodPost:
		s.post(w, r)
	case !collection && method == http.MethodHead:
		s.head(w, r, id)
	case !collection && method == http.MethodPatch:
		s.patch(w, r, id)
	case !collection && method == http.MethodDelete:
		s.delete(w, r, id)
	default:
		allow := "OPTIONS, POST"
		if !collection {
			allow = "OPTIONS, HEAD, PATCH, DELETE"
		}
		w.Header().Set("Allow", allow)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// route splits a request path into an upload id, or reports the collection
// (BasePath itself); ok is false for a path outside the endpoint.
func (s *Server) route(path string) (id string, collection, ok bool) {
	if path == s.cfg.BasePath || path == strings.TrimSuffix(s.cfg.BasePath, "/") {
		return "", true, true
	}
	id, found := strings.CutPrefix(path, s.cfg.BasePath)
	if !found || id == "" || strings.Contains(id, "/") {
		return "", false, false
	}
	return id, false, true
}

// options answers tus discovery.
func (s *Server) options(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Tus-Version", TusVersion)
	h.Set("Tus-Extension", tusExtensions)
	h.Set("Tus-Max-Size", strconv.FormatInt(s.cfg.MaxSize, 10))
	w.WriteHeader(http.StatusNoContent)
}

// setProgress sets the headers that tell a client where an upload stands.
func setProgress(h http.Header, u Upload) {
	h.Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	if !u.Completed {
		h.Set("Upload-Expires", httpDate(u.ExpiresAt))
	}
}

// httpDate formats t for a header.
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }
