package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// RoutePrefix is the path prefix under which a service serves its API
// methods, so "GetVideo" is served at POST /rpc/GetVideo.
const RoutePrefix = "rpc/"

// maxRequestBytes bounds a request body on the service side.
const maxRequestBytes = 4 << 20

// WireError is how an error crosses the wire:
// {"kind":"not_found","message":"...","code":"..."} (code only when set).
type WireError struct {
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// Handle exposes one API method as an http.Handler: it decodes the JSON
// request, calls fn and encodes the response or a WireError with the status
// of its kind.
func Handle[Req, Resp any](fn func(context.Context, Req) (Resp, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req Req
		dec := json.NewDecoder(io.LimitReader(r.Body, maxRequestBytes))
		if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			WriteError(w, E(KindInvalid, "malformed request body", err))
			return
		}
		resp, err := fn(r.Context(), req)
		if err != nil {
			WriteError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

// WriteError writes err as a WireError with the HTTP status of its kind.
func WriteError(w http.ResponseWriter, err error) {
	kind := KindOf(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(HTTPStatus(kind))
	_ = json.NewEncoder(w).Encode(WireError{Kind: kind, Message: PublicMessage(err), Code: CodeOf(err)})
}

// DecodeError turns an error response body back into a classified error; a
// body that is not a WireError of a known kind is classified by its status.
func DecodeError(status int, body []byte) error {
	var we WireError
	if err := json.Unmarshal(body, &we); err == nil && kindStatus[we.Kind] != 0 {
		return &Error{Kind: we.Kind, Message: we.Message, Code: we.Code}
	}
	msg := http.StatusText(status)
	if len(bytes.TrimSpace(body)) > 0 && len(body) < 512 {
		msg = string(bytes.TrimSpace(body))
	}
	return &Error{Kind: KindFromStatus(status), Message: msg}
}

// Call invokes method on app through inv with req as JSON and decodes the
// response into Resp. Errors keep the kind the callee gave them.
func Call[Req, Resp any](ctx context.Context, inv Invoker, app, method string, req Req) (Resp, error) {
	var resp Resp
	body, err := json.Marshal(req)
	if err != nil {
		return resp, fmt.Errorf("%s.%s: marshal request: %w", app, method, err)
	}
	out, err := inv.Invoke(ctx, app, RoutePrefix+method, body)
	if err != nil {
		return resp, fmt.Errorf("%s.%s: %w", app, method, err)
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, E(KindInternal, "malformed response", fmt.Errorf("%s.%s: decode response: %w", app, method, err))
	}
	return resp, nil
}

// Routes serves each method's handler at POST /rpc/<method> on mux.
func Routes(mux *http.ServeMux, routes map[string]http.Handler) {
	for method, h := range routes {
		mux.Handle("POST /"+RoutePrefix+method, h)
	}
}
