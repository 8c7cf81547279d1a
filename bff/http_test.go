package bff_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

func get(t *testing.T, s *stack, path string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.server.ServeHTTP(rec, req)
	return rec
}

func TestProbesAndJWKS(t *testing.T) {
	s := newStack(t, stackOptions{})

	rec := get(t, s, "/healthz", nil)
	assert.Equal(t, http.StatusOK, rec.Code)

	rec = get(t, s, "/readyz", nil)
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	rec = get(t, s, "/.well-known/jwks.json", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/jwk-set+json", rec.Header().Get("Content-Type"))
	assert.Contains(t, rec.Header().Get("Cache-Control"), "max-age=")
	set, err := jwk.Parse(rec.Body.Bytes())
	require.NoError(t, err)
	_, found := set.LookupKeyID(s.authKID())
	assert.True(t, found, "the auth service's key is published")
}

// downAuth is an auth service whose keys cannot be fetched.
type downAuth struct{ auth.API }

func (downAuth) JWKS(context.Context, auth.JWKSRequest) (auth.JWKSResponse, error) {
	return auth.JWKSResponse{}, platform.E(platform.KindUnavailable, "auth unreachable", errors.New("connection refused"))
}

func TestNotReadyWithoutKeys(t *testing.T) {
	s := newStack(t, stackOptions{})
	srv, err := bff.New(bff.Config{}, bff.Deps{Auth: downAuth{s.auth}, Catalog: s.catalog})
	require.NoError(t, err)

	for path, want := range map[string]int{
		"/healthz":               http.StatusOK,
		"/readyz":                http.StatusServiceUnavailable,
		"/.well-known/jwks.json": http.StatusServiceUnavailable,
	} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, want, rec.Code, path)
	}

	// A token cannot be verified: UNAVAILABLE, not anonymous.
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.viewer.token)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), bff.CodeUnavailable)
}

func TestNewNeedsServices(t *testing.T) {
	_, err := bff.New(bff.Config{}, bff.Deps{})
	require.Error(t, err)
}

func TestGraphiQL(t *testing.T) {
	tests := []struct {
		name          string
		introspection bool
		wantPage      bool
	}{
		{"served in development", true, true},
		{"not served without introspection", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{cfg: bff.Config{Introspection: tt.introspection}})
			rec := get(t, s, "/graphql", map[string]string{"Accept": "text/html,application/xhtml+xml"})
			isPage := strings.Contains(rec.Body.String(), "graphiql.min.js")
			assert.Equal(t, tt.wantPage, isPage, rec.Body.String())
			if !tt.wantPage {
				return
			}
			assert.Equal(t, http.StatusOK, rec.Code)
			assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'self'")
			assert.NotContains(t, rec.Body.String(), "https://", "no CDN")
			for _, asset := range []string{"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "init.js"} {
				rec := get(t, s, "/graphiql/assets/"+asset, nil)
				assert.Equal(t, http.StatusOK, rec.Code, asset)
				assert.Greater(t, rec.Body.Len(), 100, asset)
			}
		})
	}
}

func TestGraphQLOverGET(t *testing.T) {
	s := newStack(t, stackOptions{})
	rec := get(t, s, "/graphql?query="+url.QueryEscape(`{ genres { id } }`), map[string]string{"Accept": "application/json"})
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"genres"`)

	// Mutations never run over GET.
	rec = get(t, s, "/graphql?query="+url.QueryEscape(`mutation { createGenre(name: "Via GET") { id } }`), map[string]string{"Authorization": "Bearer " + s.admin.token})
	assert.NotEqual(t, http.StatusOK, rec.Code)
	assert.NotContains(t, rec.Body.String(), `"createGenre"`)
}

// TestIntrospectionAndSuggestions: introspection is off in the default
// Config, and then validation errors suggest no field, argument, type or
// enum value names either; on when configured (development).
func TestIntrospectionAndSuggestions(t *testing.T) {
	tests := []struct {
		name          string
		cfg           bff.Config
		introspection bool
	}{{"development", bff.Config{Introspection: true}, true}, {"default", bff.Config{}, false}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{cfg: tt.cfg})
			for _, q := range []string{
				`{ __schema { queryType { name } } }`,
				`{ __type(name: "Video") { name } }`,
				`{ ...Q } fragment Q on Query { ... on Query { __schema { types { name } } } }`,
			} {
				res := s.do(t, "", q, nil)
				if tt.introspection {
					assert.Empty(t, res.Errors, res.String())
				} else {
					assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", res.code(), res.String())
				}
			}
			res := s.do(t, "", `{ __typename genres { id } }`, nil)
			assert.Empty(t, res.Errors, "__typename is not introspection: %s", res.String())

			rec := get(t, s, "/graphql?query="+url.QueryEscape(`{ __schema { queryType { name } } }`), map[string]string{"Accept": "application/json"})
			assert.Equal(t, tt.introspection, !strings.Contains(rec.Body.String(), "GRAPHQL_VALIDATION_FAILED"), "over GET: %s", rec.Body.String())

			for _, q := range []string{
				`{ videoz { id } }`,                           // a field
				`{ videos(frist: 1) { totalCount } }`,         // an argument
				`{ ...F } fragment F on Qurey { __typename }`, // a type
				`{ castMembers(type: ACTRO) { id } }`,         // an enum value
				`{ genres }`,                                  // a selection on an object
			} {
				res := s.do(t, "", q, nil)
				require.Equal(t, "GRAPHQL_VALIDATION_FAILED", res.code(), q)
				assert.Equal(t, tt.introspection, strings.Contains(res.Errors[0].Message, "Did you mean"), "%s: %s", q, res.Errors[0].Message)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{MaxBodyBytes: 512}})
	big := `{"query":"{ genres { id } }","variables":{"pad":"` + strings.Repeat("x", 1024) + `"}}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.server.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, rec.Body.String(), bff.CodeBadRequest)
}

func TestMalformedBody(t *testing.T) {
	s := newStack(t, stackOptions{})
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query": `))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.server.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	var res gqlResult
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
	assert.Equal(t, bff.CodeBadRequest, res.code())
}

func TestUnavailableService(t *testing.T) {
	s := newStack(t, stackOptions{})
	s.calls.setHook(func(string) error { return platform.E(platform.KindUnavailable, "catalog is restarting", nil) })
	res := s.do(t, "", `{ videos { totalCount } }`, nil)
	assert.Equal(t, bff.CodeUnavailable, res.code(), res.String())
}

func TestSubscriptions(t *testing.T) {
	s := newStack(t, stackOptions{})
	subs := s.server.Subscriptions()
	require.Len(t, subs, 2)
	assert.Equal(t, auth.Topic, subs[0].Topic)
	assert.True(t, subs[0].Broadcast, "every replica applies revocations")
	assert.NotEmpty(t, subs[0].Name)
	assert.NotNil(t, subs[0].Handle)
	assert.Equal(t, catalog.Topic, subs[1].Topic)
	assert.True(t, subs[1].Broadcast, "every replica feeds its own encodingProgress websockets")
}

func TestCORS(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{AllowedOrigins: []string{"http://localhost:*"}}})
	tests := []struct {
		name       string
		method     string
		origin     string
		wantStatus int
		wantAllow  string
	}{
		{"preflight from an allowed origin", http.MethodOptions, "http://localhost:5173", http.StatusNoContent, "http://localhost:5173"},
		{"preflight from another origin", http.MethodOptions, "https://evil.example", http.StatusForbidden, ""},
		{"post from an allowed origin", http.MethodPost, "http://localhost:5173", http.StatusOK, "http://localhost:5173"},
		{"post from another origin is not readable", http.MethodPost, "https://evil.example", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/graphql", strings.NewReader(`{"query":"{ genres { id } }"}`))
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Content-Type", "application/json")
			if tt.method == http.MethodOptions {
				req.Header.Set("Access-Control-Request-Method", "POST")
				req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
			}
			rec := httptest.NewRecorder()
			s.server.ServeHTTP(rec, req)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.wantAllow, rec.Header().Get("Access-Control-Allow-Origin"))
			if tt.wantStatus == http.StatusNoContent {
				assert.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "Authorization")
			}
		})
	}
}
