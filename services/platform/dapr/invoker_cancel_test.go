package dapr

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

// TestInvokerCallerGivesUpKeepsSidecarAlive: a caller whose context ends
// while the callee's answer is on its way gets UNAVAILABLE within its
// deadline, although the Invoker lets the round trip itself run to its end
// (daprd 1.14 can crash when an invocation is cancelled mid-answer, see
// Invoke), and the sidecar serves the next call.
func TestInvokerCallerGivesUpKeepsSidecarAlive(t *testing.T) {
	e := requireEnv(t)
	app := "dflix-slow-" + randomID()
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/rpc/Quick" {
			fmt.Fprint(w, `{"ok":true}`)
			return
		}
		// A large JSON string, so that the caller's sidecar is still copying
		// it when the caller gives up.
		fmt.Fprint(w, `"`)
		for range 1 << 14 {
			fmt.Fprint(w, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		}
		fmt.Fprint(w, `"`)
	})
	callee := startSidecar(t, e, sidecarSpec{appID: app, app: slow}, false)
	caller := startSidecar(t, e, sidecarSpec{
		appID: "dflix-caller-" + randomID(),
		peers: map[string]int{app: callee.internalPort},
		resources: map[string]string{"resiliency-invoke.yaml": fmt.Sprintf(`apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: invoke-timeout
spec:
  policies:
    timeouts:
      invoke: 5s
  targets:
    apps:
      %s:
        timeout: invoke
`, app)},
	}, false)
	inv := caller.sc.Invoker()

	for i := range 30 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(1+i%10)*time.Millisecond)
		began := time.Now()
		_, err := inv.Invoke(ctx, app, "rpc/Slow", []byte(`{}`))
		cancel()
		assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
		assert.Less(t, time.Since(began), time.Second, "the caller stops waiting when its context ends")
	}
	time.Sleep(time.Second) // the abandoned calls run to their end meanwhile
	out, err := inv.Invoke(context.Background(), app, "rpc/Quick", []byte(`{}`))
	require.NoError(t, err, "the caller's daprd still serves")
	assert.JSONEq(t, `{"ok":true}`, string(out))
}
