package subscription_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/dflix/dflix/services/subscription"
)

// The callers the tests act as.
var (
	admin   = platform.Caller{UserID: "u-admin", Role: platform.RoleAdmin}
	viewer  = platform.Caller{UserID: "u-viewer", Role: platform.RoleViewer}
	viewer2 = platform.Caller{UserID: "u-viewer-2", Role: platform.RoleViewer}
	anon    = platform.Caller{}
)

var ctx = context.Background()

// t0 is where test clocks start.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *testClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// fixture is one service under test with the controls of its world.
type fixture struct {
	api   subscription.API // what the test calls: the service or a client of it
	svc   *subscription.Service
	clock *testClock
	gw    *fakeGateway
	rec   *platformtest.Recorder
	state *embedded.State
}

// factory makes the fixture a suite runs on.
type factory func(t *testing.T, cfg subscription.Config) *fixture

// openState opens an embedded state, closed at the end of the test.
func openState(t *testing.T) *embedded.State {
	t.Helper()
	st, err := embedded.OpenState(filepath.Join(t.TempDir(), "subscription.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newDirect is the factory of the service called in process.
func newDirect(t *testing.T, cfg subscription.Config) *fixture {
	t.Helper()
	f := &fixture{clock: &testClock{now: t0}, gw: newFakeGateway(), rec: &platformtest.Recorder{}, state: openState(t)}
	f.svc = f.newService(t, cfg, f.gw)
	f.api = f.svc
	return f
}

// newWire is the factory of the service called through its handler and
// the client over the in-memory invoker.
func newWire(t *testing.T, cfg subscription.Config) *fixture {
	t.Helper()
	f := newDirect(t, cfg)
	inv := embedded.NewInvoker()
	inv.Register(subscription.AppID, subscription.NewHandler(f.svc))
	f.api = subscription.NewClient(inv)
	return f
}

// newService returns another service (a replica) on the fixture's state,
// clock and publisher, charging through pay.
func (f *fixture) newService(t *testing.T, cfg subscription.Config, pay subscription.Payments) *subscription.Service {
	t.Helper()
	svc, err := subscription.New(ctx, cfg, f.state, f.rec, pay, f.clock.Now, nil)
	require.NoError(t, err)
	return svc
}

// requireKind checks err's kind and that its client message contains msg.
func requireKind(t *testing.T, err error, kind platform.Kind, msg string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, kind, platform.KindOf(err), "error: %v", err)
	require.Contains(t, platform.PublicMessage(err), msg)
}

// requireCode checks err's kind and code.
func requireCode(t *testing.T, err error, kind platform.Kind, code string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, kind, platform.KindOf(err), "error: %v", err)
	require.Equal(t, code, platform.CodeOf(err), "error: %v", err)
}

// requireTime checks that got is the instant want.
func requireTime(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: want %s, got %s", what, want, got)
}

// planInput returns a valid plan input named name.
func planInput(name string, price int64, trialDays, maxStreams int) subscription.PlanInput {
	return subscription.PlanInput{
		Name: name, Description: "the " + name + " plan", PriceMinor: price, Currency: "USD",
		Period: subscription.Monthly, TrialDays: trialDays, MaxResolution: 1080, MaxStreams: maxStreams,
	}
}

// mustPlan creates a plan.
func (f *fixture) mustPlan(t *testing.T, in subscription.PlanInput) subscription.Plan {
	t.Helper()
	resp, err := f.api.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: admin, Input: in})
	require.NoError(t, err)
	return resp.Plan
}

// mustSubscribe subscribes caller to plan with card.
func (f *fixture) mustSubscribe(t *testing.T, caller platform.Caller, plan subscription.Plan, card string) subscription.Subscription {
	t.Helper()
	resp, err := f.api.Subscribe(ctx, subscription.SubscribeRequest{Caller: caller, PlanID: plan.ID, Card: testCard(card)})
	require.NoError(t, err)
	return resp.Subscription
}

// testCard returns a card input with number.
func testCard(number string) subscription.CardInput {
	return subscription.CardInput{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: "123"}
}

// sub returns caller's subscription.
func (f *fixture) sub(t *testing.T, caller platform.Caller) subscription.Subscription {
	t.Helper()
	resp, err := f.api.GetSubscription(ctx, subscription.GetSubscriptionRequest{Caller: caller})
	require.NoError(t, err)
	require.True(t, resp.Found, "no subscription for %s", caller.UserID)
	return resp.Subscription
}

// renew runs the sweep at time at and returns what it did.
func (f *fixture) renew(t *testing.T, at time.Time) subscription.RenewResponse {
	t.Helper()
	f.clock.Set(at)
	resp, err := f.api.Renew(ctx, subscription.RenewRequest{})
	require.NoError(t, err)
	return resp
}

// invoices returns all of caller's invoices, newest first.
func (f *fixture) invoices(t *testing.T, caller platform.Caller) []subscription.Invoice {
	t.Helper()
	resp, err := f.api.ListInvoices(ctx, subscription.ListInvoicesRequest{Caller: caller, First: 100})
	require.NoError(t, err)
	return resp.Invoices
}

// subEvents returns the types of the subscription events published for
// user, in order.
func (f *fixture) subEvents(t *testing.T, user string) []string {
	t.Helper()
	var out []string
	for _, ev := range f.rec.Events() {
		if ev.Topic != subscription.Topic || !strings.HasPrefix(ev.Type, "subscription.") {
			continue
		}
		var p subscription.SubscriptionChanged
		require.NoError(t, ev.Decode(&p))
		if p.Subscription.UserID == user {
			out = append(out, ev.Type)
		}
	}
	return out
}

// startStream starts caller's stream of video.
func (f *fixture) startStream(caller platform.Caller, video string) (subscription.StartStreamResponse, error) {
	return f.api.StartStream(ctx, subscription.StartStreamRequest{Caller: caller, VideoID: video})
}
