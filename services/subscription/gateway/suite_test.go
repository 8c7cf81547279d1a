package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/dflix/dflix/services/subscription/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newSandbox returns a sandbox gateway over an embedded State in a
// temporary directory, its clock in March 2026.
func newSandbox(t *testing.T) *sandbox.Gateway {
	t.Helper()
	st, err := embedded.OpenState(filepath.Join(t.TempDir(), "sandbox.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	clock := func() time.Time { return time.Date(2026, time.March, 15, 0, 0, 0, 0, time.UTC) }
	return sandbox.New(st, clock, slog.New(slog.DiscardHandler))
}

// chargeCount asks the sandbox how often token was charged.
func chargeCount(t *testing.T, gw *sandbox.Gateway, token string) int {
	t.Helper()
	rec := httptest.NewRecorder()
	gw.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/charges?token="+token, nil))
	require.Equal(t, http.StatusOK, rec.Code, "%s", rec.Body)
	var list sandbox.ChargeList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	return len(list.Charges)
}

// card is a valid card with number, expiring in the future.
func card(number string) subscription.CardInput {
	return subscription.CardInput{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: "123"}
}

// testPayments runs the client c against the sandbox gw behind it: every
// test card, idempotency and the refusals.
func testPayments(t *testing.T, c *gateway.Client, gw *sandbox.Gateway) {
	ctx := context.Background()
	approved := subscription.ChargeResult{Approved: true}
	declined := subscription.ChargeResult{DeclineReason: sandbox.DeclineCardDeclined}
	poor := subscription.ChargeResult{DeclineReason: sandbox.DeclineInsufficientFunds}
	cases := []struct {
		number, brand string
		first, second subscription.ChargeResult
	}{
		{sandbox.CardApprove, sandbox.BrandVisa, approved, approved},
		{sandbox.CardMastercardApprove, sandbox.BrandMastercard, approved, approved},
		{sandbox.CardDecline, sandbox.BrandVisa, declined, declined},
		{sandbox.CardInsufficientFunds, sandbox.BrandVisa, poor, poor},
		{sandbox.CardApproveOnce, sandbox.BrandVisa, approved, declined},
	}
	for _, tc := range cases {
		t.Run(tc.number, func(t *testing.T) {
			pm, err := c.Tokenize(ctx, card(tc.number))
			require.NoError(t, err)
			assert.Equal(t, tc.brand, pm.Brand)
			assert.Equal(t, tc.number[len(tc.number)-4:], pm.Last4)
			req := subscription.ChargeRequest{Token: pm.Token, AmountMinor: 1299, Currency: "EUR", Description: "dflix standard"}
			var firstID string
			for i, want := range []subscription.ChargeResult{tc.first, tc.second} {
				req.IdempotencyKey = fmt.Sprintf("%s-%d", pm.Token, i)
				got, err := c.Charge(ctx, req)
				require.NoError(t, err, "charge %d", i+1)
				require.NotEmpty(t, got.ChargeID)
				if i == 0 {
					firstID = got.ChargeID
				}
				got.ChargeID = ""
				assert.Equal(t, want, got, "charge %d", i+1)
			}
			req.IdempotencyKey = pm.Token + "-0"
			again, err := c.Charge(ctx, req)
			require.NoError(t, err)
			assert.Equal(t, firstID, again.ChargeID, "the same key is the same charge")
			assert.Equal(t, tc.first.Approved, again.Approved, "replayed as first answered")
			assert.Equal(t, 2, chargeCount(t, gw, pm.Token), "charged once per key")
		})
	}
	t.Run("refusals", func(t *testing.T) { testRefusals(t, c) })
}

// testRefusals checks how the client classifies what the gateway refuses.
func testRefusals(t *testing.T, c *gateway.Client) {
	ctx := context.Background()
	for _, bad := range []subscription.CardInput{
		card("4242424242424241"),
		{Number: sandbox.CardApprove, ExpMonth: 1, ExpYear: 2020, CVC: "123"},
		{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2030, CVC: "1"},
	} {
		_, err := c.Tokenize(ctx, bad)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
		assert.Equal(t, subscription.CodePaymentDeclined, platform.CodeOf(err))
		assert.Contains(t, platform.PublicMessage(err), "card declined: ")
		assert.NotContains(t, err.Error(), bad.Number, "the number is never quoted")
	}

	pm, err := c.Tokenize(ctx, card(sandbox.CardApprove))
	require.NoError(t, err)
	req := subscription.ChargeRequest{IdempotencyKey: "reused", Token: pm.Token, AmountMinor: 500, Currency: "USD"}
	_, err = c.Charge(ctx, req)
	require.NoError(t, err)
	req.AmountMinor = 600
	_, err = c.Charge(ctx, req)
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "the key with another amount: %v", err)

	_, err = c.Charge(ctx, subscription.ChargeRequest{IdempotencyKey: "k-unknown", Token: "tok_unknown", AmountMinor: 500, Currency: "USD"})
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "an unknown token: %v", err)
	_, err = c.Charge(ctx, subscription.ChargeRequest{IdempotencyKey: "k-bad", Token: pm.Token, AmountMinor: -1, Currency: "USD"})
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "a negative amount: %v", err)
}
