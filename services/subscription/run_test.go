package subscription_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/subscription"
)

// fast runs the background loops every few milliseconds.
var fast = subscription.Config{SweepInterval: 5 * time.Millisecond, OutboxInterval: 5 * time.Millisecond}

// start runs loop in the background until the end of the test.
func start(t *testing.T, loop func(context.Context) error) {
	t.Helper()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- loop(runCtx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// TestRunSweepsAndRelays runs the one-process loop: it publishes the
// events the bus refused and runs the sweep on its own.
func TestRunSweepsAndRelays(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	f.mustSubscribe(t, viewer, plan, cardOK)
	f.rec.SetFail(errors.New("bus down"))
	_, err := f.api.Cancel(ctx, subscription.CancelRequest{Caller: viewer})
	require.NoError(t, err, "the write succeeds while the bus is down")
	require.Empty(t, f.rec.OfType(subscription.EventCanceled))
	f.rec.SetFail(nil)
	f.clock.Set(t0.AddDate(0, 1, 0))

	start(t, f.newService(t, fast, f.gw).Run)
	require.Eventually(t, func() bool {
		return len(f.rec.OfType(subscription.EventCanceled)) == 1 && len(f.rec.OfType(subscription.EventExpired)) == 1
	}, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, subscription.Expired, f.sub(t, viewer).Status)
}

// TestRunOutboxOnlyRelays runs the loop of the Dapr mode, where a cron
// binding calls Renew: it relays events and never sweeps.
func TestRunOutboxOnlyRelays(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	plan := f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	f.rec.SetFail(errors.New("bus down"))
	f.mustSubscribe(t, viewer, plan, cardOK)
	f.rec.SetFail(nil)
	f.clock.Set(t0.AddDate(0, 1, 0))

	start(t, f.newService(t, fast, f.gw).RunOutbox)
	require.Eventually(t, func() bool {
		return len(f.rec.OfType(subscription.EventActivated)) == 1
	}, 5*time.Second, 5*time.Millisecond)
	assert.Empty(t, f.gw.chargesWithPrefix("renew:"), "no sweep")
	assert.Equal(t, subscription.Active, f.sub(t, viewer).Status)
}

// TestFlushOutbox publishes by hand what the bus refused.
func TestFlushOutbox(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	f.rec.SetFail(errors.New("bus down"))
	f.mustPlan(t, planInput("Monthly", 700, 0, 1))
	_, err := f.svc.FlushOutbox(ctx)
	require.Error(t, err)
	f.rec.SetFail(nil)
	n, err := f.svc.FlushOutbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Len(t, f.rec.OfType(subscription.EventPlanUpdated), 1)
	n, err = f.svc.FlushOutbox(ctx)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left")
}
