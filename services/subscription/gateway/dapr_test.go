package gateway_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/dflix/dflix/services/platform/dapr/daprtest"
	"github.com/dflix/dflix/services/subscription/gateway"
)

// paymentsYAML is the payment gateway's bindings.http component: 4xx and
// 5xx come back as responses with their statusCode (errorIfNot2XX
// "false"), which the client needs to tell a refused card from an outage.
const paymentsYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: payments
spec:
  type: bindings.http
  version: v1
  metadata:
  - name: url
    value: "%s"
  - name: errorIfNot2XX
    value: "false"
`

// TestClientOverDapr runs the client through a real daprd's bindings.http
// to the sandbox served over HTTP: the path the subscription service takes
// beside its sidecar.
func TestClientOverDapr(t *testing.T) {
	daprd := daprtest.RequireDaprd(t)
	gw := newSandbox(t)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	sc := daprtest.Start(t, daprd, map[string]string{"payments.yaml": fmt.Sprintf(paymentsYAML, srv.URL)})
	testPayments(t, gateway.New(sc.Binding("payments")), gw)
}
