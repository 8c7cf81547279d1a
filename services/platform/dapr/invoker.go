package dapr

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.Invoker = (*Invoker)(nil)

// maxResponseBytes bounds a response read from the sidecar.
const maxResponseBytes = 64 << 20

// Invoker is a platform.Invoker over the sidecar's HTTP service invocation
// API (POST /v1.0/invoke/<app>/method/<method>). The callee serves its
// methods on its own mux (platform.Routes); the sidecars pass its status and
// body through, so the callee's error kinds arrive intact.
type Invoker struct {
	sc *Sidecar
}

// Invoker returns the Invoker of s.
func (s *Sidecar) Invoker() platform.Invoker {
	return &Invoker{sc: s}
}

// daprError is the body of an error the sidecar itself answers with.
type daprError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

// Invoke POSTs body (JSON) to method of app through the sidecar and returns
// the response body on a 2xx status.
//
// Errors: the kind the callee wrote (see platform.DecodeError);
// KindUnavailable when the sidecar, the callee's sidecar or the callee cannot
// be reached (an unknown app included) or ctx ends; KindInvalid for an empty
// app or method.
//
// The round trip does not end when ctx does: Invoke stops waiting and
// returns, and the request runs on, bounded by detachedBound. daprd 1.14
// panics and exits when a service invocation under a resiliency timeout is
// cancelled while it copies the callee's answer to the caller
// (dapr/dapr#10371), taking every call under way through that sidecar with
// it: make bench hit it within seconds at 8 concurrent viewers, whose
// requests end as the load stops; a viewer closing a tab does the same.
func (i *Invoker) Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	if app == "" || method == "" {
		return nil, platform.Errorf(platform.KindInvalid, "dapr: invoke %q/%q: app and method are required", app, method)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("dapr: invoke %s/%s: %w", app, method, unreachable(ctx, err))
	}
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), detachedBound)
		defer cancel()
		out, err := i.roundTrip(rctx, app, method, body)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("dapr: invoke %s/%s: %w", app, method, unreachable(ctx, ctx.Err()))
	}
}

// detachedBound is how long an invocation may run after its caller gave
// up: past the sidecars' own invoke timeout (dapr/resiliency.yaml, 5 s), so
// that daprd ends a slow call before the Invoker has to.
const detachedBound = 15 * time.Second

// roundTrip is one request to the sidecar, read whole.
func (i *Invoker) roundTrip(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	u := i.sc.cfg.httpBase() + "/v1.0/invoke/" + url.PathEscape(app) + "/method/" + escapeMethod(method)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, platform.E(platform.KindInvalid, "invalid method", fmt.Errorf("dapr: invoke %s/%s: %w", app, method, err))
	}
	req.Header.Set("Content-Type", "application/json")
	// The caller's span goes along as traceparent: the sidecars continue
	// it, and the callee's spans and logs carry its trace id.
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	i.sc.authorize(req)
	resp, err := i.sc.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("dapr: invoke %s/%s: %w", app, method, unreachable(ctx, err))
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("dapr: invoke %s/%s: read response: %w", app, method, unreachable(ctx, err))
	}
	if resp.StatusCode/100 == 2 {
		return out, nil
	}
	return nil, fmt.Errorf("dapr: invoke %s/%s: %w", app, method, responseError(resp.StatusCode, out))
}

// responseError classifies a non-2xx answer: the callee's own error body
// keeps its kind; an error of the sidecar itself (a JSON body with an
// errorCode, such as ERR_DIRECT_INVOKE for an app it cannot resolve or reach)
// is KindUnavailable when it is a server error; anything else is classified
// by its status.
func responseError(status int, body []byte) error {
	var we platform.WireError
	if json.Unmarshal(body, &we) == nil && we.Kind != "" {
		return platform.DecodeError(status, body)
	}
	var de daprError
	if json.Unmarshal(body, &de) == nil && de.ErrorCode != "" && status >= 500 {
		return platform.E(platform.KindUnavailable, unavailableMessage, fmt.Errorf("%d %s: %s", status, de.ErrorCode, de.Message))
	}
	return platform.DecodeError(status, body)
}

// unreachable classifies a failed round trip to the sidecar.
func unreachable(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		err = errors.Join(ctx.Err(), err)
	}
	return platform.E(platform.KindUnavailable, unavailableMessage, err)
}

// escapeMethod escapes each segment of a method path such as "rpc/GetVideo".
func escapeMethod(method string) string {
	parts := strings.Split(strings.TrimPrefix(method, "/"), "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}
