package authn

import (
	"net/http"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// Middleware verifies the `Authorization: Bearer <jwt>` header and puts the
// identity in the request context. A request without the header goes on
// anonymously; one with a malformed, invalid, expired or revoked token never
// reaches next: fail writes the error (KindUnauthenticated, or
// KindUnavailable when the keys cannot be fetched).
func Middleware(v *Verifier, fail func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			header := r.Header.Get("Authorization")
			if header == "" {
				next.ServeHTTP(w, r)
				return
			}
			token, err := BearerToken(header)
			if err != nil {
				fail(w, r, err)
				return
			}
			id, err := v.Verify(r.Context(), token)
			if err != nil {
				fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
		})
	}
}

// BearerToken extracts the token of an Authorization value "Bearer <token>"
// (the scheme is case-insensitive).
//
// Errors: KindUnauthenticated for any other shape.
func BearerToken(value string) (string, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(value), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", platform.E(platform.KindUnauthenticated, `authorization must be "Bearer <token>"`, nil)
	}
	return token, nil
}
