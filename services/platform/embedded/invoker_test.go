package embedded_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInvokerRequestShape(t *testing.T) {
	inv := embedded.NewInvoker()
	var got *http.Request
	inv.Register("catalog", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	out, err := inv.Invoke(context.Background(), "catalog", "rpc/GetVideo", []byte(`{}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":true}`, string(out))
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/rpc/GetVideo", got.URL.Path)
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
}

func TestInvokerStatuses(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		kind    platform.Kind
	}{
		{"panic", func(http.ResponseWriter, *http.Request) { panic("bug") }, platform.KindInternal},
		{"bare 502", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }, platform.KindUnavailable},
		{"text 404", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, platform.KindNotFound},
		{"204", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := embedded.NewInvoker()
			inv.Register("app", tc.handler)
			_, err := inv.Invoke(context.Background(), "app", "m", nil)
			assert.Equal(t, tc.kind, platform.KindOf(err), "%v", err)
		})
	}
}

func TestInvokerRegisterReplaces(t *testing.T) {
	inv := embedded.NewInvoker()
	inv.Register("app", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`1`)) }))
	inv.Register("app", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`2`)) }))
	out, err := inv.Invoke(context.Background(), "app", "m", nil)
	require.NoError(t, err)
	assert.Equal(t, "2", string(out))
}
