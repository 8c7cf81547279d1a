package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type greetRequest struct {
	Name string `json:"name"`
}

type greetResponse struct {
	Greeting string `json:"greeting"`
}

// greet fails with the kind named by the request, else greets.
func greet(_ context.Context, r greetRequest) (greetResponse, error) {
	switch r.Name {
	case "":
		return greetResponse{}, platform.Errorf(platform.KindInvalid, "name required")
	case "ghost":
		return greetResponse{}, platform.E(platform.KindNotFound, "no such person", errors.New(leak))
	case "crash":
		return greetResponse{}, errors.New("nil map write " + leak)
	}
	return greetResponse{Greeting: "hello " + r.Name}, nil
}

// serveMux is the server side of the tests: greet served at POST /rpc/Greet.
func serveMux() *http.ServeMux {
	mux := http.NewServeMux()
	platform.Routes(mux, map[string]http.Handler{"Greet": platform.Handle(greet)})
	return mux
}

// muxInvoker reaches a handler through httptest, the way an HTTP sidecar would.
type muxInvoker struct{ h http.Handler }

func (m muxInvoker) Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/"+method, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	m.h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		return nil, platform.DecodeError(rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes(), nil
}

func TestHandle(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"ok", `{"name":"ann"}`, http.StatusOK, `{"greeting":"hello ann"}`},
		{"empty body is the zero request", ``, http.StatusBadRequest, `{"kind":"invalid","message":"name required"}`},
		{"malformed body", `{"name":`, http.StatusBadRequest, `{"kind":"invalid","message":"malformed request body"}`},
		{"wrong type", `{"name":7}`, http.StatusBadRequest, `{"kind":"invalid","message":"malformed request body"}`},
		{"not found", `{"name":"ghost"}`, http.StatusNotFound, `{"kind":"not_found","message":"no such person"}`},
		{"internal hides cause", `{"name":"crash"}`, http.StatusInternalServerError, `{"kind":"internal","message":"internal error"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			serveMux().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/rpc/Greet", strings.NewReader(tc.body)))
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.JSONEq(t, tc.want, rec.Body.String())
		})
	}
}

func TestHandleRoutesOnlyPost(t *testing.T) {
	rec := httptest.NewRecorder()
	serveMux().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/rpc/Greet", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestCall(t *testing.T) {
	inv := muxInvoker{h: serveMux()}
	cases := []struct {
		name    string
		method  string
		req     greetRequest
		want    greetResponse
		kind    platform.Kind
		message string
	}{
		{"ok", "Greet", greetRequest{Name: "ann"}, greetResponse{Greeting: "hello ann"}, "", ""},
		{"invalid", "Greet", greetRequest{}, greetResponse{}, platform.KindInvalid, "name required"},
		{"not found", "Greet", greetRequest{Name: "ghost"}, greetResponse{}, platform.KindNotFound, "no such person"},
		{"internal", "Greet", greetRequest{Name: "crash"}, greetResponse{}, platform.KindInternal, "internal error"},
		{"unknown method", "Nope", greetRequest{Name: "ann"}, greetResponse{}, platform.KindNotFound, "404 page not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := platform.Call[greetRequest, greetResponse](context.Background(), inv, "people", tc.method, tc.req)
			assert.Equal(t, tc.kind, platform.KindOf(err), "%v", err)
			assert.Equal(t, tc.want, got)
			if err != nil {
				assert.Equal(t, tc.message, platform.PublicMessage(err))
				assert.Contains(t, err.Error(), "people."+tc.method, "the error names the call")
				assert.NotContains(t, err.Error(), leak)
			}
		})
	}
}

// fixedInvoker answers every call with out and err.
type fixedInvoker struct {
	out []byte
	err error
}

func (f fixedInvoker) Invoke(context.Context, string, string, []byte) ([]byte, error) {
	return f.out, f.err
}

func TestCallFailures(t *testing.T) {
	ctx := context.Background()
	_, err := platform.Call[greetRequest, greetResponse](ctx, fixedInvoker{out: []byte(`{"greeting":`)}, "people", "Greet", greetRequest{})
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "malformed response: %v", err)
	assert.Equal(t, "internal error", platform.PublicMessage(err))

	down := platform.E(platform.KindUnavailable, "sidecar unreachable", errors.New("dial tcp"))
	_, err = platform.Call[greetRequest, greetResponse](ctx, fixedInvoker{err: down}, "people", "Greet", greetRequest{})
	assert.ErrorIs(t, err, down)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err))

	_, err = platform.Call[chan int, greetResponse](ctx, fixedInvoker{}, "people", "Greet", make(chan int))
	assert.Error(t, err, "an unmarshalable request fails before the call")
}

func TestWriteError(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		wire   platform.WireError
	}{
		{"forbidden", platform.E(platform.KindForbidden, "admins only", nil), http.StatusForbidden, platform.WireError{Kind: platform.KindForbidden, Message: "admins only"}},
		{"conflict", platform.Errorf(platform.KindConflict, "email taken"), http.StatusConflict, platform.WireError{Kind: platform.KindConflict, Message: "email taken"}},
		{"unauthenticated", platform.E(platform.KindUnauthenticated, "sign in", nil), http.StatusUnauthorized, platform.WireError{Kind: platform.KindUnauthenticated, Message: "sign in"}},
		{"coded", platform.Coded(platform.KindConflict, "MEDIA_NOT_READY", "not ready", nil), http.StatusConflict, platform.WireError{Kind: platform.KindConflict, Message: "not ready", Code: "MEDIA_NOT_READY"}},
		{"cancelled", context.Canceled, http.StatusServiceUnavailable, platform.WireError{Kind: platform.KindUnavailable, Message: "service unavailable, try again"}},
		{"unclassified", errors.New(leak), http.StatusInternalServerError, platform.WireError{Kind: platform.KindInternal, Message: "internal error"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			platform.WriteError(rec, tc.err)
			assert.Equal(t, tc.status, rec.Code)
			var got platform.WireError
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, tc.wire, got)

			back := platform.DecodeError(rec.Code, rec.Body.Bytes())
			assert.Equal(t, tc.wire.Kind, platform.KindOf(back), "the kind survives the wire")
			assert.Equal(t, tc.wire.Message, platform.PublicMessage(back))
			assert.Equal(t, tc.wire.Code, platform.CodeOf(back), "the code survives the wire")
		})
	}
}

func TestDecodeError(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		kind    platform.Kind
		message string
	}{
		{"wire error", 404, `{"kind":"not_found","message":"no video"}`, platform.KindNotFound, "no video"},
		{"wire kind wins over status", 500, `{"kind":"conflict","message":"stale"}`, platform.KindConflict, "stale"},
		{"unknown wire kind falls back to status", 409, `{"kind":"teapot","message":"x"}`, platform.KindConflict, `{"kind":"teapot","message":"x"}`},
		{"plain text body", 502, "upstream connect error\n", platform.KindUnavailable, "upstream connect error"},
		{"empty body", 504, "", platform.KindUnavailable, "Gateway Timeout"},
		{"huge body", 503, strings.Repeat("x", 600), platform.KindUnavailable, "Service Unavailable"},
		{"unmapped 4xx", 418, "", platform.KindInvalid, "I'm a teapot"},
		{"json without kind", 403, `{"error":"nope"}`, platform.KindForbidden, `{"error":"nope"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := platform.DecodeError(tc.status, []byte(tc.body))
			assert.Equal(t, tc.kind, platform.KindOf(err))
			assert.Equal(t, tc.message, platform.PublicMessage(err))
		})
	}
}
