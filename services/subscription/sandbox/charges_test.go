package sandbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outcome is what one charge came to.
type outcome struct {
	approved bool
	reason   string
}

func TestChargeByCard(t *testing.T) {
	approved := outcome{approved: true}
	cases := []struct {
		card          string
		first, second outcome
	}{
		{sandbox.CardApprove, approved, approved},
		{sandbox.CardMastercardApprove, approved, approved},
		{sandbox.CardDecline, outcome{false, sandbox.DeclineCardDeclined}, outcome{false, sandbox.DeclineCardDeclined}},
		{sandbox.CardInsufficientFunds, outcome{false, sandbox.DeclineInsufficientFunds}, outcome{false, sandbox.DeclineInsufficientFunds}},
		{sandbox.CardApproveOnce, approved, outcome{false, sandbox.DeclineCardDeclined}},
		{"6011111111111117", approved, approved},
	}
	f := newFixture(t)
	for _, c := range cases {
		t.Run(c.card, func(t *testing.T) {
			tok := f.tokenize(t, c.card).Token
			for i, want := range []outcome{c.first, c.second, c.second} {
				got := f.charge(t, tok, fmt.Sprintf("%s-%d", tok, i))
				assert.Equal(t, want, outcome{got.Approved, got.DeclineReason}, "charge %d", i+1)
				assert.True(t, strings.HasPrefix(got.ChargeID, "ch_"), "charge id %q", got.ChargeID)
			}
			list := f.charges(t, tok)
			require.Len(t, list, 3)
			assert.Equal(t, c.first.approved, list[0].Approved)
			assert.Equal(t, int64(999), list[0].AmountMinor)
			assert.Equal(t, "EUR", list[0].Currency)
			assert.Equal(t, tok+"-0", list[0].IdempotencyKey)
		})
	}
}

func TestChargeIsIdempotent(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenize(t, sandbox.CardApproveOnce).Token
	first := f.charge(t, tok, "renewal-1")
	require.True(t, first.Approved)

	status, body, header := f.do(t, http.MethodPost, "/charges", "renewal-1",
		sandbox.ChargeRequest{Token: tok, AmountMinor: 999, Currency: "EUR", Description: "plan"})
	require.Equal(t, http.StatusOK, status)
	again := decode[sandbox.ChargeResponse](t, body)
	assert.Equal(t, first, again, "the same key answers the stored result, still approved")
	assert.Equal(t, "true", header.Get(sandbox.ReplayedHeader))
	assert.Len(t, f.charges(t, tok), 1, "charged once")

	_, _, header = f.do(t, http.MethodPost, "/charges", "renewal-2",
		sandbox.ChargeRequest{Token: tok, AmountMinor: 999, Currency: "EUR", Description: "plan"})
	assert.Empty(t, header.Get(sandbox.ReplayedHeader), "a new key is a new charge")
	assert.Len(t, f.charges(t, tok), 2)
}

func TestConcurrentSameKeyChargesOnce(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenize(t, sandbox.CardApprove).Token
	ids := chargeConcurrently(t, f, 20, func(int) (string, string) { return tok, "same-key" })
	for _, id := range ids {
		assert.Equal(t, ids[0], id, "every request answers the one charge")
	}
	assert.Len(t, f.charges(t, tok), 1)
}

func TestConcurrentKeysOnOneTokenAllCount(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenize(t, sandbox.CardApproveOnce).Token
	chargeConcurrently(t, f, 20, func(i int) (string, string) { return tok, fmt.Sprintf("key-%d", i) })
	list := f.charges(t, tok)
	require.Len(t, list, 20, "no charge lost in the race for the ledger")
	approved := 0
	for _, c := range list {
		if c.Approved {
			approved++
		}
	}
	assert.Equal(t, 1, approved, "only the token's first charge is approved")
	assert.True(t, list[0].Approved)
}

// chargeConcurrently sends n charges at once, the i-th for the token and
// key of pick(i), and returns their charge ids.
func chargeConcurrently(t *testing.T, f *fixture, n int, pick func(i int) (token, key string)) []string {
	t.Helper()
	ids := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			tok, key := pick(i)
			ids[i] = f.charge(t, tok, key).ChargeID
		})
	}
	close(start)
	wg.Wait()
	return ids
}

func TestChargeErrors(t *testing.T) {
	f := newFixture(t)
	tok := f.tokenize(t, sandbox.CardApprove).Token
	f.charge(t, tok, "used")
	valid := sandbox.ChargeRequest{Token: tok, AmountMinor: 999, Currency: "EUR", Description: "plan"}
	with := func(edit func(*sandbox.ChargeRequest)) sandbox.ChargeRequest {
		r := valid
		edit(&r)
		return r
	}
	cases := []struct {
		name, key string
		body      any
		status    int
		code      string
	}{
		{"no key", "", valid, http.StatusBadRequest, sandbox.CodeInvalidRequest},
		{"key with space", "a b", valid, http.StatusBadRequest, sandbox.CodeInvalidRequest},
		{"key too long", strings.Repeat("k", 256), valid, http.StatusBadRequest, sandbox.CodeInvalidRequest},
		{"key reused, other amount", "used", with(func(r *sandbox.ChargeRequest) { r.AmountMinor = 1 }), http.StatusConflict, sandbox.CodeIdempotencyConflict},
		{"key reused, other text", "used", with(func(r *sandbox.ChargeRequest) { r.Description = "x" }), http.StatusConflict, sandbox.CodeIdempotencyConflict},
		{"unknown token", "k1", with(func(r *sandbox.ChargeRequest) { r.Token = "tok_nope" }), http.StatusNotFound, sandbox.CodeUnknownToken},
		{"no token", "k2", with(func(r *sandbox.ChargeRequest) { r.Token = "" }), http.StatusBadRequest, sandbox.CodeInvalidRequest},
		{"zero amount", "k3", with(func(r *sandbox.ChargeRequest) { r.AmountMinor = 0 }), http.StatusBadRequest, sandbox.CodeInvalidRequest},
		{"bad currency", "k4", with(func(r *sandbox.ChargeRequest) { r.Currency = "EURO" }), http.StatusBadRequest, sandbox.CodeInvalidRequest},
		{"not json", "k5", "text", http.StatusBadRequest, sandbox.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := f.do(t, http.MethodPost, "/charges", c.key, c.body)
			assert.Equal(t, c.status, status, "%s", body)
			assert.Equal(t, c.code, errorCode(t, body))
		})
	}
	assert.Len(t, f.charges(t, tok), 1, "no failed request charged")

	status, body, _ := f.do(t, http.MethodGet, "/charges", "", nil)
	assert.Equal(t, http.StatusBadRequest, status, "list without token")
	assert.Equal(t, sandbox.CodeInvalidRequest, errorCode(t, body))
	status, body, _ = f.do(t, http.MethodGet, "/charges?token=tok_nope", "", nil)
	assert.Equal(t, http.StatusNotFound, status, "list of an unknown token")
	assert.Equal(t, sandbox.CodeUnknownToken, errorCode(t, body))
	assert.Empty(t, f.charges(t, f.tokenize(t, sandbox.CardApprove).Token), "a new token has no charges")
}

// downState is a State whose store cannot be reached.
type downState struct{ platform.State }

func (downState) Get(context.Context, string) (platform.Item, error) {
	return platform.Item{}, platform.E(platform.KindUnavailable, "store down", nil)
}

func (downState) Transact(context.Context, []platform.Op) error {
	return platform.E(platform.KindUnavailable, "store down", nil)
}

func TestStoreDownIsUnavailable(t *testing.T) {
	f := newFixture(t)
	f.gw = sandbox.New(downState{}, now, slog.New(slog.DiscardHandler))
	status, body, _ := f.do(t, http.MethodPost, "/tokens", "", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2030, CVC: "123"})
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, sandbox.CodeUnavailable, errorCode(t, body))
	status, body, _ = f.do(t, http.MethodPost, "/charges", "k", sandbox.ChargeRequest{Token: "tok_x", AmountMinor: 1, Currency: "EUR"})
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, sandbox.CodeUnavailable, errorCode(t, body))
}
