package gateway_test

import (
	"net/http/httptest"
	"testing"

	"github.com/dflix/dflix/services/platform/dapr/daprtest"
	"github.com/dflix/dflix/services/subscription/gateway"
)

// TestClientOverDapr runs the client through a real daprd's bindings.http
// to the sandbox served over HTTP: the path the subscription service takes
// beside its sidecar.
func TestClientOverDapr(t *testing.T) {
	daprd := daprtest.RequireDaprd(t)
	gw := newSandbox(t)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	sc := daprtest.Start(t, daprd, map[string]string{"payments.yaml": daprtest.HTTPBindingYAML("payments", srv.URL)})
	testPayments(t, gateway.New(sc.Binding("payments")), gw)
}
