package dapr

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSidecar serves the sidecar's HTTP API with h and returns an Invoker on
// it, for the answers a real sidecar gives only in rare cases.
func fakeSidecar(t *testing.T, h http.HandlerFunc) *Invoker {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)
	p, err := strconv.Atoi(port)
	require.NoError(t, err)
	sc := &Sidecar{cfg: Config{AppID: "caller", Host: host, HTTPPort: p, GRPCPort: 1, APIToken: "tok"}.withDefaults(), http: newHTTPClient()}
	return &Invoker{sc: sc}
}

func TestInvokerAnswers(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   platform.Kind
	}{
		{"callee not found", 404, `{"kind":"not_found","message":"video v-1"}`, platform.KindNotFound},
		{"callee conflict", 409, `{"kind":"conflict","message":"taken"}`, platform.KindConflict},
		{"unresolvable app", 500, `{"errorCode":"ERR_DIRECT_INVOKE","message":"failed to invoke, id: x, err: couldn't find service: x"}`, platform.KindUnavailable},
		{"circuit open", 500, `{"errorCode":"ERR_DIRECT_INVOKE","message":"circuit breaker is open"}`, platform.KindUnavailable},
		{"acl", 403, `{"errorCode":"ERR_PERMISSION_DENIED","message":"access control policy has denied access"}`, platform.KindForbidden},
		{"bad gateway", 502, `upstream`, platform.KindUnavailable},
		{"plain 500", 500, `oops`, platform.KindInternal},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := fakeSidecar(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			_, err := inv.Invoke(context.Background(), "callee", "rpc/X", []byte(`{}`))
			assert.Equal(t, tc.want, platform.KindOf(err), "%v", err)
		})
	}
}

func TestInvokerRequest(t *testing.T) {
	var got *http.Request
	inv := fakeSidecar(t, func(w http.ResponseWriter, r *http.Request) {
		got = r
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	out, err := inv.Invoke(context.Background(), "catalog", "rpc/Get Video", []byte(`{"id":"v"}`))
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":true}`, string(out))
	assert.Equal(t, http.MethodPost, got.Method)
	assert.Equal(t, "/v1.0/invoke/catalog/method/rpc/Get%20Video", got.URL.EscapedPath())
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))
	assert.Equal(t, "tok", got.Header.Get(apiTokenHeader))

	_, err = inv.Invoke(context.Background(), "", "rpc/X", nil)
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
}

func TestInvokerUnreachableSidecar(t *testing.T) {
	ports := freePorts(t, 1)
	sc := &Sidecar{cfg: Config{AppID: "a", HTTPPort: ports[0], GRPCPort: 1}.withDefaults(), http: newHTTPClient()}
	_, err := sc.Invoker().Invoke(context.Background(), "b", "rpc/X", nil)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
}
