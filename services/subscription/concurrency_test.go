package subscription_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// TestConcurrentStartStreams starts more videos at once than the plan
// allows, on two replicas: exactly the plan's streams start.
func TestConcurrentStartStreams(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	replicas := []*subscription.Service{f.svc, f.newService(t, subscription.Config{}, f.gw)}
	plan := f.mustPlan(t, planInput("Duo", 999, 0, 2))
	f.mustSubscribe(t, viewer, plan, cardOK)

	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = replicas[i%2].StartStream(ctx, subscription.StartStreamRequest{Caller: viewer, VideoID: fmt.Sprintf("v%d", i)})
		})
	}
	wg.Wait()
	started := 0
	for _, err := range errs {
		if err == nil {
			started++
			continue
		}
		requireCode(t, err, platform.KindConflict, subscription.CodeStreamLimitReached)
	}
	assert.Equal(t, 2, started)
}

// TestConcurrentSubscribe sends one viewer's Subscribe several times at
// once (a double click): one subscribes, the others are refused, and the
// card is charged once.
func TestConcurrentSubscribe(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	errs := make([]error, 5)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = f.svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(cardOK)})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		require.Equal(t, platform.KindConflict, platform.KindOf(err), "error: %v", err)
	}
	assert.Equal(t, 1, ok)
	assert.Len(t, f.gw.chargeKeys(), 1)
	assert.Len(t, f.invoices(t, viewer), 1)
}

// TestCodesCrossTheWire checks that the refining codes arrive through the
// handler and the client.
func TestCodesCrossTheWire(t *testing.T) {
	f := newWire(t, subscription.Config{})
	_, err := f.startStream(viewer, "v1")
	requireCode(t, err, platform.KindForbidden, subscription.CodeSubscriptionRequired)
	assert.Equal(t, "an active subscription is required to play", platform.PublicMessage(err))

	plan := f.mustPlan(t, planInput("Solo", 999, 0, 1))
	_, err = f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: viewer, PlanID: plan.ID, Card: testCard(cardNoFunds)})
	requireCode(t, err, platform.KindInvalid, subscription.CodePaymentDeclined)
	assert.Contains(t, platform.PublicMessage(err), "insufficient_funds")

	f.mustSubscribe(t, viewer, plan, cardOK)
	_, err = f.startStream(viewer, "v1")
	require.NoError(t, err)
	_, err = f.startStream(viewer, "v2")
	requireCode(t, err, platform.KindConflict, subscription.CodeStreamLimitReached)
}
