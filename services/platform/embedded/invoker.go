package embedded

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.Invoker = (*Invoker)(nil)

// Invoker is a platform.Invoker that calls registered http.Handlers in
// memory: the same handler a service serves over HTTP, with no socket in
// between, so the wire format (JSON bodies, error kinds) is exercised in one
// process too. It is safe for concurrent use.
type Invoker struct {
	mu   sync.RWMutex
	apps map[string]http.Handler
}

// NewInvoker returns an Invoker with no apps registered.
func NewInvoker() *Invoker {
	return &Invoker{apps: map[string]http.Handler{}}
}

// Register serves h as app, replacing any handler registered before.
func (i *Invoker) Register(app string, h http.Handler) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.apps[app] = h
}

// Invoke calls method of app as POST /<method> with body as JSON and
// returns the response body on a 2xx status.
//
// Errors: the kind the handler wrote (see platform.DecodeError);
// KindUnavailable for an unregistered app or when ctx has ended;
// KindInternal when the handler panics.
func (i *Invoker) Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	i.mu.RLock()
	h, ok := i.apps[app]
	i.mu.RUnlock()
	if !ok {
		return nil, platform.Errorf(platform.KindUnavailable, "invoke %s/%s: app %q is not registered", app, method, app)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: invoke %s/%s: %w", app, method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/"+strings.TrimPrefix(method, "/"), bytes.NewReader(body))
	if err != nil {
		return nil, platform.E(platform.KindInvalid, "invalid method", fmt.Errorf("embedded: invoke %s/%s: %w", app, method, err))
	}
	req.Host = app
	req.Header.Set("Content-Type", "application/json")
	rec := &recorder{header: http.Header{}}
	if err := serve(h, rec, req); err != nil {
		return nil, fmt.Errorf("embedded: invoke %s/%s: %w", app, method, err)
	}
	status := rec.statusCode()
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("embedded: invoke %s/%s: %w", app, method, platform.DecodeError(status, rec.body.Bytes()))
	}
	return rec.body.Bytes(), nil
}

// serve runs h, turning a panic into a KindInternal error as an HTTP server
// would turn it into a failed response.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = platform.E(platform.KindInternal, "internal error", fmt.Errorf("handler panicked: %v", p))
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

// recorder is a minimal http.ResponseWriter that keeps the response in
// memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}
