package platformtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// invokeApp is the app name TestInvoker serves its handler as.
const invokeApp = "platformtest"

// secret is a detail of an internal cause that must never reach a caller.
const secret = "password=hunter2"

type echoRequest struct {
	Text string            `json:"text"`
	N    int               `json:"n"`
	Tags []string          `json:"tags"`
	Meta map[string]string `json:"meta"`
}

type failRequest struct {
	Kind    platform.Kind `json:"kind"`
	Message string        `json:"message"`
}

type empty struct{}

// invokeHandler serves Echo, which returns its request, and Fail, which
// fails with the requested kind (an unclassified error for internal).
func invokeHandler() http.Handler {
	mux := http.NewServeMux()
	platform.Routes(mux, map[string]http.Handler{
		"Echo": platform.Handle(func(_ context.Context, r echoRequest) (echoRequest, error) {
			return r, nil
		}),
		"Fail": platform.Handle(func(_ context.Context, r failRequest) (empty, error) {
			if r.Kind == platform.KindInternal {
				return empty{}, fmt.Errorf("query failed: %s", secret)
			}
			return empty{}, platform.E(r.Kind, r.Message, errors.New(secret))
		}),
	})
	return mux
}

// TestInvoker runs the platform.Invoker conformance cases. newInvoker serves
// h as app (on an in-memory registry, an HTTP server behind a sidecar, ...)
// and returns an invoker that reaches it.
func TestInvoker(t *testing.T, newInvoker func(t *testing.T, app string, h http.Handler) platform.Invoker) {
	t.Helper()
	inv := newInvoker(t, invokeApp, invokeHandler())
	t.Run("Roundtrip", func(t *testing.T) { invokeRoundtrip(t, inv) })
	t.Run("ErrorKindsSurvive", func(t *testing.T) { invokeErrorKinds(t, inv) })
	t.Run("InternalErrorsDoNotLeak", func(t *testing.T) { invokeInternal(t, inv) })
	t.Run("UnknownMethodIsNotFound", func(t *testing.T) {
		_, err := platform.Call[empty, empty](context.Background(), inv, invokeApp, "NoSuchMethod", empty{})
		assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
	})
	t.Run("MalformedBodyIsInvalid", func(t *testing.T) {
		_, err := inv.Invoke(context.Background(), invokeApp, platform.RoutePrefix+"Echo", []byte(`{"text":`))
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
	})
	t.Run("UnknownAppIsUnavailable", func(t *testing.T) {
		_, err := inv.Invoke(context.Background(), unique("app"), platform.RoutePrefix+"Echo", []byte(`{}`))
		assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
	})
	t.Run("CancelledContextIsUnavailable", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := inv.Invoke(ctx, invokeApp, platform.RoutePrefix+"Echo", []byte(`{}`))
		assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
	})
}

func invokeRoundtrip(t *testing.T, inv platform.Invoker) {
	cases := []struct {
		name string
		req  echoRequest
	}{
		{"zero", echoRequest{}},
		{"full", echoRequest{Text: "Amélie ✓ \"quoted\" <b>", N: -7, Tags: []string{"a", "b"}, Meta: map[string]string{"k": "v"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := platform.Call[echoRequest, echoRequest](context.Background(), inv, invokeApp, "Echo", tc.req)
			require.NoError(t, err)
			assert.Equal(t, tc.req, got)
		})
	}
}

func invokeErrorKinds(t *testing.T, inv platform.Invoker) {
	kinds := []platform.Kind{
		platform.KindNotFound,
		platform.KindInvalid,
		platform.KindConflict,
		platform.KindForbidden,
		platform.KindUnauthenticated,
	}
	for _, kind := range kinds {
		t.Run(string(kind), func(t *testing.T) {
			msg := "video v-1: " + string(kind)
			_, err := platform.Call[failRequest, empty](context.Background(), inv, invokeApp, "Fail", failRequest{Kind: kind, Message: msg})
			require.Error(t, err)
			assert.Equal(t, kind, platform.KindOf(err), "%v", err)
			assert.Equal(t, msg, platform.PublicMessage(err))
			assert.NotContains(t, err.Error(), secret, "the cause stays on the callee")
		})
	}
}

func invokeInternal(t *testing.T, inv platform.Invoker) {
	_, err := platform.Call[failRequest, empty](context.Background(), inv, invokeApp, "Fail", failRequest{Kind: platform.KindInternal})
	require.Error(t, err)
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "%v", err)
	assert.Equal(t, "internal error", platform.PublicMessage(err))
	assert.NotContains(t, err.Error(), secret)
}
