package embedded_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seen is what the handler behind a test binding received.
type seen struct {
	method, path, query string
	header              http.Header
	body                string
}

// echoBinding returns a binding over a handler that records the request
// and answers status with the body {"ok":true} and an X-Reply header.
func echoBinding(t *testing.T, base string, status int) (*embedded.HTTPBinding, *seen) {
	t.Helper()
	got := &seen{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		assert.NoError(t, err)
		*got = seen{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: string(body)}
		w.Header().Set("X-Reply", "yes")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	return embedded.NewHTTPBinding(h, base), got
}

func TestHTTPBindingRequestShape(t *testing.T) {
	b, got := echoBinding(t, "http://gateway.local/api/", http.StatusCreated)
	resp, err := b.InvokeBinding(context.Background(), platform.BindingRequest{
		Operation: "post",
		Data:      []byte(`{"a":1}`),
		Metadata: map[string]string{
			"path":            "/charges?x=1",
			"Idempotency-Key": "k1",
			"lowercase":       "not a header",
		},
	})
	require.NoError(t, err)
	assert.Equal(t, http.MethodPost, got.method)
	assert.Equal(t, "/api/charges", got.path)
	assert.Equal(t, "x=1", got.query)
	assert.Equal(t, "k1", got.header.Get("Idempotency-Key"))
	assert.Equal(t, "application/json; charset=utf-8", got.header.Get("Content-Type"), "default content type")
	assert.Empty(t, got.header.Get("Lowercase"), "lower-case metadata is not a header")
	assert.Empty(t, got.header.Get("Path"))
	assert.JSONEq(t, `{"a":1}`, got.body)

	assert.JSONEq(t, `{"ok":true}`, string(resp.Data))
	assert.Equal(t, "201", resp.Metadata["statusCode"])
	assert.Equal(t, http.StatusCreated, resp.StatusCode())
	assert.Equal(t, "201 Created", resp.Metadata["status"])
	assert.Equal(t, "yes", resp.Metadata["X-Reply"])
}

func TestHTTPBindingOperations(t *testing.T) {
	cases := []struct {
		op, method string
		body       string
	}{
		{"post", http.MethodPost, "data"},
		{"create", http.MethodPost, "data"},
		{"put", http.MethodPut, "data"},
		{"PATCH", http.MethodPatch, "data"},
		{"get", http.MethodGet, ""},
		{"delete", http.MethodDelete, ""},
		{"head", http.MethodHead, ""},
		{"options", http.MethodOptions, ""},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			b, got := echoBinding(t, "http://gateway.local", http.StatusOK)
			_, err := b.InvokeBinding(context.Background(), platform.BindingRequest{
				Operation: c.op, Data: []byte("data"),
				Metadata: map[string]string{"path": "x", "Content-Type": "text/plain"},
			})
			require.NoError(t, err)
			assert.Equal(t, c.method, got.method)
			assert.Equal(t, "/x", got.path)
			assert.Equal(t, c.body, got.body, "only post, put and patch send Data")
			assert.Equal(t, "text/plain", got.header.Get("Content-Type"), "metadata wins over the default")
		})
	}
}

func TestHTTPBindingStatuses(t *testing.T) {
	cases := []struct {
		status        int
		errorIfNot2XX string
		kind          platform.Kind // "" when the status is a response
	}{
		{http.StatusOK, "", ""},
		{http.StatusPaymentRequired, "", ""},
		{http.StatusInternalServerError, "false", ""},
		{http.StatusOK, "true", ""},
		{http.StatusPaymentRequired, "true", platform.KindInvalid},
		{http.StatusConflict, "true", platform.KindConflict},
		{http.StatusServiceUnavailable, "true", platform.KindUnavailable},
	}
	for _, c := range cases {
		t.Run(http.StatusText(c.status)+"/"+c.errorIfNot2XX, func(t *testing.T) {
			b, _ := echoBinding(t, "http://gateway.local", c.status)
			md := map[string]string{}
			if c.errorIfNot2XX != "" {
				md["errorIfNot2XX"] = c.errorIfNot2XX
			}
			resp, err := b.InvokeBinding(context.Background(), platform.BindingRequest{Operation: "get", Metadata: md})
			if c.kind != "" {
				assert.Equal(t, c.kind, platform.KindOf(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.status, resp.StatusCode())
			assert.JSONEq(t, `{"ok":true}`, string(resp.Data))
		})
	}
}

func TestHTTPBindingFailures(t *testing.T) {
	b, _ := echoBinding(t, "http://gateway.local", http.StatusOK)
	_, err := b.InvokeBinding(context.Background(), platform.BindingRequest{Operation: "fetch"})
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "unknown operation: %v", err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = b.InvokeBinding(ctx, platform.BindingRequest{Operation: "get"})
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "ended ctx: %v", err)

	panicky := embedded.NewHTTPBinding(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), "http://x")
	_, err = panicky.InvokeBinding(context.Background(), platform.BindingRequest{Operation: "get"})
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "panic: %v", err)
}

func TestHTTPBindingWithoutBaseURL(t *testing.T) {
	b, got := echoBinding(t, "", http.StatusOK)
	_, err := b.InvokeBinding(context.Background(), platform.BindingRequest{Operation: "post", Metadata: map[string]string{"path": "tokens"}})
	require.NoError(t, err)
	assert.Equal(t, "/tokens", got.path)
	_, err = b.InvokeBinding(context.Background(), platform.BindingRequest{Operation: "get"})
	require.NoError(t, err)
	assert.Equal(t, "/", got.path, "no path at all is the root")
}
