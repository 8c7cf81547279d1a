package dapr

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// httpBindingYAML is a bindings.http component; errorIfNot2XX "false"
// makes a 4xx or 5xx a response with its statusCode rather than an error.
const httpBindingYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: %s
spec:
  type: bindings.http
  version: v1
  metadata:
  - name: url
    value: "%s"
  - name: errorIfNot2XX
    value: "false"
`

// cronBindingYAML is a bindings.cron input binding.
const cronBindingYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: %s
spec:
  type: bindings.cron
  version: v1
  metadata:
  - name: schedule
    value: "%s"
`

// recorded is one request the target of the test binding received.
type recorded struct {
	method, path, query string
	header              http.Header
	body                string
}

// bindingTarget is an HTTP server that records requests and answers
// with the status in the X-Want-Status header (default 200).
func bindingTarget(t *testing.T) (*httptest.Server, func() recorded) {
	t.Helper()
	var mu sync.Mutex
	var last recorded
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = recorded{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, header: r.Header.Clone(), body: string(body)}
		mu.Unlock()
		status := http.StatusOK
		if s := r.Header.Get("X-Want-Status"); s != "" {
			status, _ = strconv.Atoi(s)
		}
		w.Header().Set("X-Reply", "yes")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"status":%d}`, status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() recorded {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestHTTPOutputBinding(t *testing.T) {
	e := requireEnv(t)
	srv, last := bindingTarget(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // nothing listens there any more
	ts := startSidecar(t, e, sidecarSpec{appID: "dflix-binding-" + randomID(), resources: map[string]string{
		"payments.yaml": fmt.Sprintf(httpBindingYAML, "payments", srv.URL+"/api"),
		"deadend.yaml":  fmt.Sprintf(httpBindingYAML, "deadend", dead.URL),
	}}, false)
	ctx := context.Background()
	b := ts.sc.Binding("payments")

	for _, status := range []int{http.StatusOK, http.StatusPaymentRequired} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			resp, err := b.InvokeBinding(ctx, platform.BindingRequest{
				Operation: "post",
				Data:      []byte(`{"amount":5}`),
				Metadata: map[string]string{
					"path": "/charges?x=1", "Idempotency-Key": "k-" + strconv.Itoa(status),
					"X-Want-Status": strconv.Itoa(status), "lowercase": "no",
				},
			})
			require.NoError(t, err)
			got := last()
			assert.Equal(t, http.MethodPost, got.method)
			assert.Equal(t, "/api/charges", got.path)
			assert.Equal(t, "x=1", got.query)
			assert.Equal(t, "k-"+strconv.Itoa(status), got.header.Get("Idempotency-Key"))
			assert.Contains(t, got.header.Get("Content-Type"), "application/json")
			assert.Empty(t, got.header.Get("Lowercase"))
			assert.JSONEq(t, `{"amount":5}`, got.body)
			assert.JSONEq(t, fmt.Sprintf(`{"status":%d}`, status), string(resp.Data))
			assert.Equal(t, strconv.Itoa(status), resp.Metadata["statusCode"])
			assert.Equal(t, status, resp.StatusCode())
			assert.Equal(t, "yes", resp.Metadata["X-Reply"])
		})
	}

	t.Run("get", func(t *testing.T) {
		resp, err := b.InvokeBinding(ctx, platform.BindingRequest{Operation: "get", Metadata: map[string]string{"path": "charges"}})
		require.NoError(t, err)
		assert.Equal(t, http.MethodGet, last().method)
		assert.Equal(t, "/api/charges", last().path)
		assert.Equal(t, http.StatusOK, resp.StatusCode())
	})
	t.Run("errorIfNot2XX per call", func(t *testing.T) {
		_, err := b.InvokeBinding(ctx, platform.BindingRequest{Operation: "get", Metadata: map[string]string{
			"errorIfNot2XX": "true", "X-Want-Status": "503",
		}})
		assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "503: %v", err)
		_, err = b.InvokeBinding(ctx, platform.BindingRequest{Operation: "get", Metadata: map[string]string{
			"errorIfNot2XX": "true", "X-Want-Status": "409",
		}})
		assert.Equal(t, platform.KindConflict, platform.KindOf(err), "409: %v", err)
	})
	t.Run("unreachable", func(t *testing.T) {
		_, err := ts.sc.Binding("deadend").InvokeBinding(ctx, platform.BindingRequest{Operation: "post"})
		assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
	})
	t.Run("invalid", func(t *testing.T) {
		_, err := b.InvokeBinding(ctx, platform.BindingRequest{})
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
		_, err = b.InvokeBinding(ctx, platform.BindingRequest{Operation: "fetch"})
		assert.Equal(t, platform.KindInternal, platform.KindOf(err), "an operation bindings.http does not have: %v", err)
		_, err = ts.sc.Binding("nosuchbinding").InvokeBinding(ctx, platform.BindingRequest{Operation: "get"})
		assert.Equal(t, platform.KindInternal, platform.KindOf(err), "an unknown binding: %v", err)
	})
}

func TestCronInputBinding(t *testing.T) {
	e := requireEnv(t)
	var calls atomic.Int32
	routes := func(t *testing.T, sc *Sidecar) http.Handler {
		mux := http.NewServeMux()
		sc.InputBinding(mux, "tick", func(context.Context) error {
			if calls.Add(1) == 1 {
				return fmt.Errorf("the first trigger fails")
			}
			return nil
		})
		return mux
	}
	startSidecar(t, e, sidecarSpec{appID: "dflix-cron-" + randomID(), routes: routes, resources: map[string]string{
		"tick.yaml": fmt.Sprintf(cronBindingYAML, "tick", "@every 1s"),
	}}, false)
	// The first trigger fails (500); the cron fires again all the same.
	require.Eventually(t, func() bool { return calls.Load() >= 3 }, 20*time.Second, 50*time.Millisecond,
		"the cron fired %d times in 20s, want 3", calls.Load())
}

func TestInputBindingAnswers(t *testing.T) {
	sc := &Sidecar{log: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	fail := false
	sc.InputBinding(mux, "renew", func(context.Context) error {
		if fail {
			return fmt.Errorf("boom")
		}
		return nil
	})
	sc.InputBinding(mux, "panics", func(context.Context) error { panic("boom") })

	cases := []struct {
		method, path string
		fail         bool
		want         int
	}{
		{http.MethodOptions, "/renew", false, http.StatusOK},
		{http.MethodPost, "/renew", false, http.StatusOK},
		{http.MethodPost, "/renew", true, http.StatusInternalServerError},
		{http.MethodPost, "/panics", false, http.StatusInternalServerError},
		{http.MethodOptions, "/other", false, http.StatusNotFound},
	}
	for _, c := range cases {
		t.Run(c.method+c.path, func(t *testing.T) {
			fail = c.fail
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			assert.Equal(t, c.want, rec.Code)
		})
	}
}
