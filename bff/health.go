package bff

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/dflix/dflix/services/platform"
)

const readyTimeout = 3 * time.Second

// healthz is the liveness probe: the process serves HTTP.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is the readiness probe: the auth keys and auth's recent
// revocations are loaded (fetched now if they are not), so tokens can be
// verified and a token revoked before this replica started is refused.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	err := s.keys.Ready(ctx)
	if err == nil {
		err = s.revocations.Ready(ctx)
	}
	if err != nil {
		s.deps.Logger.WarnContext(ctx, "bff not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": platform.PublicMessage(err)})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// jwks passes the auth service's key set through, as cached by the
// verifier, with cache headers.
func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	doc, err := s.keys.Document(r.Context(), jwksMaxAge)
	if err != nil {
		platform.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(jwksMaxAge.Seconds())))
	_, _ = w.Write(doc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
