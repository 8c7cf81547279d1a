package embedded

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.Binding = (*HTTPBinding)(nil)

// HTTPBinding is a platform.Binding that calls an http.Handler in process
// the way Dapr's bindings.http calls a URL (see platform.Binding): the same
// handler a gateway serves over HTTP, with no socket in between. It behaves
// as a component configured with errorIfNot2XX "false": a 4xx or 5xx comes
// back as a response with its statusCode, unless the request's metadata
// says errorIfNot2XX "true". It is safe for concurrent use when the handler
// is.
type HTTPBinding struct {
	h    http.Handler
	base string
}

// NewHTTPBinding returns the binding whose URL is baseURL (such as
// "http://payments.local" or "http://gateway/api/v1"), served by h.
func NewHTTPBinding(h http.Handler, baseURL string) *HTTPBinding {
	return &HTTPBinding{h: h, base: baseURL}
}

// InvokeBinding serves req with the handler and returns its response.
//
// Errors: KindInvalid for an unknown operation or a path that makes no
// URL; KindUnavailable when ctx has ended; KindInternal when the handler
// panics; with errorIfNot2XX "true" in the request's metadata, a non-2xx
// status as its kind (platform.KindFromStatus).
func (b *HTTPBinding) InvokeBinding(ctx context.Context, req platform.BindingRequest) (platform.BindingResponse, error) {
	op := req.Operation
	if err := ctx.Err(); err != nil {
		return platform.BindingResponse{}, fmt.Errorf("embedded: binding %s: %w", op, err)
	}
	r, err := b.request(ctx, req)
	if err != nil {
		return platform.BindingResponse{}, fmt.Errorf("embedded: binding %s: %w", op, err)
	}
	rec := &recorder{header: http.Header{}}
	if err := serve(b.h, rec, r); err != nil {
		return platform.BindingResponse{}, fmt.Errorf("embedded: binding %s %s: %w", r.Method, r.URL.Path, err)
	}
	status := rec.statusCode()
	resp := platform.BindingResponse{Data: rec.body.Bytes(), Metadata: responseMetadata(status, rec.header)}
	if status/100 != 2 && strings.EqualFold(req.Metadata[platform.BindingErrorIfNot2XX], "true") {
		return platform.BindingResponse{}, platform.Errorf(platform.KindFromStatus(status),
			"embedded: binding %s %s: received status code %d", r.Method, r.URL.Path, status)
	}
	return resp, nil
}

// request builds the HTTP request bindings.http would send for req.
func (b *HTTPBinding) request(ctx context.Context, req platform.BindingRequest) (*http.Request, error) {
	method, hasBody, err := httpMethod(req.Operation)
	if err != nil {
		return nil, err
	}
	url := b.base
	if p := req.Metadata[platform.BindingPath]; p != "" {
		url = strings.TrimRight(url, "/") + "/" + strings.TrimLeft(p, "/")
	}
	var body io.Reader
	if hasBody {
		body = bytes.NewReader(req.Data)
	}
	r, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, platform.E(platform.KindInvalid, "invalid binding path", err)
	}
	// Make it look like a request a server received.
	if r.Body == nil {
		r.Body = http.NoBody
	}
	if r.URL.Path == "" {
		r.URL.Path = "/"
	}
	r.RequestURI = r.URL.RequestURI()
	if hasBody {
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	r.Header.Set("Accept", "application/json; charset=utf-8")
	for k, v := range req.Metadata {
		if k != "" && k[0] >= 'A' && k[0] <= 'Z' {
			r.Header.Set(k, v)
		}
	}
	return r, nil
}

// httpMethod maps a bindings.http operation to its HTTP method and whether
// the request carries Data as its body.
//
// Errors: KindInvalid for an operation bindings.http does not have.
func httpMethod(op string) (method string, hasBody bool, err error) {
	method = strings.ToUpper(op)
	switch method {
	case "CREATE":
		return http.MethodPost, true, nil
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return method, true, nil
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return method, false, nil
	}
	return "", false, platform.Errorf(platform.KindInvalid, "invalid binding operation %q", op)
}

// responseMetadata is bindings.http's response metadata: statusCode, status
// and the headers.
func responseMetadata(status int, h http.Header) map[string]string {
	md := make(map[string]string, len(h)+2)
	md[platform.BindingStatusCode] = strconv.Itoa(status)
	md["status"] = fmt.Sprintf("%d %s", status, http.StatusText(status))
	for k, v := range h {
		md[k] = strings.Join(v, ", ")
	}
	return md
}
