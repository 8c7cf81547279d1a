package subscription_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// TestShortDays shortens billing days: trials, periods (30 days a month)
// and the default retry delays all count in them.
func TestShortDays(t *testing.T) {
	day := time.Hour
	f := newDirect(t, subscription.Config{DayLength: day})
	plan := f.mustPlan(t, planInput("Trial", 999, 2, 1))
	sub := f.mustSubscribe(t, viewer, plan, cardOK)
	trialEnd := t0.Add(2 * day)
	requireTime(t, trialEnd, sub.TrialEnd, "trial end")

	assert.Equal(t, subscription.RenewResponse{Activated: 1}, f.renew(t, trialEnd))
	end := trialEnd.Add(30 * day)
	requireTime(t, end, f.sub(t, viewer).CurrentPeriodEnd, "a month of 30 days")

	f.gw.set(sub.PaymentMethod.Token, declineCard)
	assert.Equal(t, subscription.RenewResponse{Failed: 1}, f.renew(t, end))
	requireTime(t, end.Add(day), f.sub(t, viewer).NextRetryAt, "retry a day later")
	assert.Equal(t, subscription.RenewResponse{Failed: 1}, f.renew(t, end.Add(day)))
	requireTime(t, end.Add(4*day), f.sub(t, viewer).NextRetryAt, "then three days later")

	inv := f.invoices(t, viewer)
	requireTime(t, end.Add(30*day), inv[0].PeriodEnd, "invoice period end")
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  subscription.Config
		msg  string
	}{
		{"day under a second", subscription.Config{DayLength: time.Millisecond}, "a billing day must last at least a second"},
		{"non-positive retry", subscription.Config{RetrySchedule: []time.Duration{time.Hour, 0}}, "retry delays must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newDirect(t, subscription.Config{})
			_, err := subscription.New(ctx, tc.cfg, f.state, f.rec, f.gw, nil, nil)
			requireKind(t, err, platform.KindInvalid, tc.msg)
		})
	}
	t.Run("missing dependency", func(t *testing.T) {
		_, err := subscription.New(ctx, subscription.Config{}, nil, nil, nil, nil, nil)
		requireKind(t, err, platform.KindInvalid, "needs a state, a publisher and a payment gateway")
	})
	t.Run("zero config is production", func(t *testing.T) {
		f := newDirect(t, subscription.Config{})
		_, err := subscription.New(ctx, subscription.Config{}, f.state, f.rec, f.gw, nil, nil)
		require.NoError(t, err)
	})
}
