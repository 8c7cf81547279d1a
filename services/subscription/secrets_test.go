package subscription_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/dflix/dflix/services/subscription"
)

// tapState is a State that keeps a copy of every key and value written.
type tapState struct {
	platform.State
	mu      sync.Mutex
	written bytes.Buffer
}

func (s *tapState) Transact(ctx context.Context, ops []platform.Op) error {
	s.mu.Lock()
	for _, op := range ops {
		s.written.WriteString(op.Key + "\n")
		s.written.Write(op.Value)
		s.written.WriteString("\n")
	}
	s.mu.Unlock()
	return s.State.Transact(ctx, ops)
}

func (s *tapState) bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.written.Bytes())
}

// TestNoCardNumberStoredOrLogged runs every card through subscriptions,
// declines, renewals and retries, and finds no card number in anything
// written to the state, published, logged or returned as an error.
func TestNoCardNumberStoredOrLogged(t *testing.T) {
	f := newDirect(t, subscription.Config{})
	tap := &tapState{State: f.state}
	var logs platformtest.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := subscription.New(ctx, subscription.Config{}, tap, f.rec, f.gw, f.clock.Now, log)
	require.NoError(t, err)

	plan := mustCreatePlan(t, svc, planInput("Monthly", 700, 0, 1))
	trial := mustCreatePlan(t, svc, planInput("Trial", 700, 7, 1))
	cards := []string{cardOK, cardDeclined, cardNoFunds, cardFailsLater}
	var errs []error
	for i, card := range cards {
		for j, p := range []subscription.Plan{plan, trial} {
			caller := user(i*2 + j)
			_, err := svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: caller, PlanID: p.ID, Card: testCard(card)})
			errs = append(errs, err)
		}
	}
	_, err = svc.Subscribe(ctx, subscription.SubscribeRequest{Caller: user(99), PlanID: plan.ID, Card: testCard("4111111111111111")})
	require.Error(t, err)
	errs = append(errs, err)
	for _, months := range []int{1, 2, 3} {
		f.clock.Set(t0.AddDate(0, months, 0))
		_, err := svc.Renew(ctx, subscription.RenewRequest{})
		require.NoError(t, err)
	}
	list, err := svc.ListSubscriptions(ctx, subscription.ListSubscriptionsRequest{Caller: admin, First: 100})
	require.NoError(t, err)
	require.Len(t, list.Subscriptions, 6, "the declined first charges subscribed nothing")

	stored, logged := tap.bytes(), logs.Bytes()
	require.NotEmpty(t, stored)
	require.NotEmpty(t, logged, "the service logged its charges")
	var published bytes.Buffer
	for _, ev := range f.rec.Events() {
		published.Write(ev.Data)
	}
	for _, number := range append(cards, "4111111111111111") {
		assert.NotContains(t, string(stored), number, "stored")
		assert.NotContains(t, string(logged), number, "logged")
		assert.NotContains(t, published.String(), number, "published")
		for _, err := range errs {
			if err != nil {
				assert.NotContains(t, err.Error(), number, "error")
			}
		}
	}
	assert.Contains(t, string(stored), `"last4":"4242"`, "what is kept of a card")
}

// mustCreatePlan creates a plan on svc.
func mustCreatePlan(t *testing.T, svc *subscription.Service, in subscription.PlanInput) subscription.Plan {
	t.Helper()
	resp, err := svc.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: admin, Input: in})
	require.NoError(t, err)
	return resp.Plan
}
