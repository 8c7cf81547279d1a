package subscription_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/dapr/daprtest"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/dflix/dflix/services/subscription/sandbox"
)

// replicaRedis is the Redis of scripts/infra.sh, which make test starts.
const replicaRedis = "127.0.0.1:16379"

// Components of the two replicas: one Redis state store they share (its
// keys prefixed with the store's name, not the app id, and the name unique
// to the run), the payments binding to the sandbox, and an in-memory
// pubsub for the outbox.
const (
	replicaStateYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: %s
spec:
  type: state.redis
  version: v1
  metadata:
  - name: redisHost
    value: "%s"
  - name: redisDB
    value: "9"
  - name: keyPrefix
    value: name
`
	replicaPubSubYAML = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.in-memory
  version: v1
`
)

// TestSweepsOnTwoDaprReplicas: two subscription replicas, each beside its
// own daprd, share a Redis state store and charge through bindings.http to
// the sandbox gateway. Their renewal sweeps run at once, twice each: every
// due trial is charged exactly once, as the gateway's own ledger shows.
func TestSweepsOnTwoDaprReplicas(t *testing.T) {
	daprd := daprtest.RequireDaprd(t)
	requireRedis(t)
	gw := sandbox.New(openState(t), nil, nil)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	store := "subscription-state-" + uuid.NewString()[:8]
	resources := map[string]string{
		"state.yaml":    fmt.Sprintf(replicaStateYAML, store, replicaRedis),
		"payments.yaml": daprtest.HTTPBindingYAML("payments", srv.URL),
		"pubsub.yaml":   replicaPubSubYAML,
	}
	clock := &testClock{}
	clock.Set(t0)
	replicas := make([]*subscription.Service, 2)
	for i := range replicas {
		sc := daprtest.Start(t, daprd, resources)
		svc, err := subscription.New(ctx, subscription.Config{}, sc.State(store), sc.Publisher(), gateway.New(sc.Binding("payments")), clock.Now, nil)
		require.NoError(t, err)
		replicas[i] = svc
	}
	plan, err := replicas[0].CreatePlan(ctx, subscription.CreatePlanRequest{Caller: admin, Input: planInput("Trial "+store, 900, 1, 2)})
	require.NoError(t, err)
	const n = 6
	tokens := make([]string, n)
	for i := range n {
		card := sandbox.CardApprove
		if i%3 == 2 {
			card = sandbox.CardInsufficientFunds
		}
		resp, err := replicas[i%2].Subscribe(ctx, subscription.SubscribeRequest{Caller: user(i), PlanID: plan.Plan.ID, Card: testCard(card)})
		require.NoError(t, err)
		require.Equal(t, subscription.Trialing, resp.Subscription.Status)
		tokens[i] = resp.Subscription.PaymentMethod.Token
	}

	clock.Advance(2 * 24 * time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			_, err := replicas[w%2].Renew(ctx, subscription.RenewRequest{})
			assert.NoError(t, err)
		})
	}
	wg.Wait()

	for i := range n {
		charges := sandboxCharges(t, srv.URL, tokens[i])
		require.Len(t, charges, 1, "%s: one charge, whatever the number of sweeps", user(i).UserID)
		got, err := replicas[(i+1)%2].GetSubscription(ctx, subscription.GetSubscriptionRequest{Caller: user(i)})
		require.NoError(t, err)
		want := subscription.Active
		if i%3 == 2 {
			want = subscription.PastDue
		}
		assert.Equal(t, want, got.Subscription.Status, user(i).UserID)
		assert.Equal(t, want == subscription.Active, charges[0].Approved)
	}
}

// sandboxCharges lists the gateway's charges of one token.
func sandboxCharges(t *testing.T, base, token string) []sandbox.Charge {
	t.Helper()
	resp, err := http.Get(base + "/charges?token=" + token)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list sandbox.ChargeList
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	return list.Charges
}

// requireRedis fails (CI) or skips the test when our Redis is not up.
func requireRedis(t *testing.T) {
	t.Helper()
	c, err := net.DialTimeout("tcp", replicaRedis, time.Second)
	if err == nil {
		_ = c.Close()
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("Redis is not running on %s: make test starts it (scripts/infra.sh up redis)", replicaRedis)
	}
	t.Skipf("Redis is not running on %s (scripts/infra.sh up redis)", replicaRedis)
}
