package subscription_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// The sandbox's documented test cards.
const (
	cardOK         = "4242424242424242" // approves
	cardDeclined   = "4000000000000002" // declines: card_declined
	cardNoFunds    = "4000000000009995" // declines: insufficient_funds
	cardFailsLater = "4000000000000341" // approves its first charge, declines the later ones
)

// behaviour is how a card answers charges.
type behaviour int

const (
	approve behaviour = iota
	declineCard
	declineFunds
	approveOnce
)

// cardBehaviour maps the test cards to their behaviour.
var cardBehaviour = map[string]behaviour{
	cardOK: approve, cardDeclined: declineCard, cardNoFunds: declineFunds, cardFailsLater: approveOnce,
}

// fakeGateway is a Payments like the sandbox: test cards with known
// behaviours, fresh tokens per Tokenize, and idempotency keys honoured like
// a real gateway (a key seen before returns its first result and charges
// nothing). It records every call and every charge (one per distinct key).
// It is safe for concurrent use.
type fakeGateway struct {
	mu        sync.Mutex
	tokens    map[string]behaviour // token → behaviour (switchable)
	approvals map[string]int       // token → approved charges
	results   map[string]subscription.ChargeResult
	first     map[string]subscription.ChargeRequest // key → the request that charged
	calls     []subscription.ChargeRequest          // every Charge call, repeats too
	charges   []subscription.ChargeRequest          // one per distinct key, in order
	reused    []string                              // keys sent again with another body
	n         int
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{
		tokens:    map[string]behaviour{},
		approvals: map[string]int{},
		results:   map[string]subscription.ChargeResult{},
		first:     map[string]subscription.ChargeRequest{},
	}
}

// Tokenize returns a fresh token for a test card; other numbers are
// refused like the sandbox does, without echoing the number.
func (g *fakeGateway) Tokenize(_ context.Context, card subscription.CardInput) (subscription.PaymentMethod, error) {
	b, ok := cardBehaviour[card.Number]
	if !ok {
		return subscription.PaymentMethod{}, platform.Coded(platform.KindInvalid, subscription.CodePaymentDeclined, "card number is not valid", nil)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	token := fmt.Sprintf("tok_%04d", g.n)
	g.tokens[token] = b
	return subscription.PaymentMethod{Token: token, Brand: "visa", Last4: card.Number[len(card.Number)-4:]}, nil
}

// Charge answers by the token's behaviour, once per idempotency key.
func (g *fakeGateway) Charge(_ context.Context, req subscription.ChargeRequest) (subscription.ChargeResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, req)
	if res, ok := g.results[req.IdempotencyKey]; ok {
		if g.first[req.IdempotencyKey] != req {
			g.reused = append(g.reused, req.IdempotencyKey) // the sandbox answers 409
		}
		return res, nil
	}
	b, ok := g.tokens[req.Token]
	if !ok {
		return subscription.ChargeResult{}, platform.Errorf(platform.KindInvalid, "unknown token")
	}
	res := subscription.ChargeResult{ChargeID: fmt.Sprintf("ch_%04d", len(g.charges)+1)}
	switch {
	case b == declineCard, b == approveOnce && g.approvals[req.Token] > 0:
		res.DeclineReason = "card_declined"
	case b == declineFunds:
		res.DeclineReason = "insufficient_funds"
	default:
		res.Approved = true
		g.approvals[req.Token]++
	}
	g.results[req.IdempotencyKey] = res
	g.first[req.IdempotencyKey] = req
	g.charges = append(g.charges, req)
	return res, nil
}

// set switches the behaviour of a token.
func (g *fakeGateway) set(token string, b behaviour) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tokens[token] = b
}

// chargeKeys returns the keys of the charges (distinct keys), in order.
func (g *fakeGateway) chargeKeys() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	keys := make([]string, len(g.charges))
	for i, c := range g.charges {
		keys[i] = c.IdempotencyKey
	}
	return keys
}

// chargesWithPrefix returns the charges whose key starts with prefix.
func (g *fakeGateway) chargesWithPrefix(prefix string) []subscription.ChargeRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(g.charges), func(c subscription.ChargeRequest) bool {
		return !strings.HasPrefix(c.IdempotencyKey, prefix)
	})
}

// callsOf counts the Charge calls that carried key.
func (g *fakeGateway) callsOf(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.calls {
		if c.IdempotencyKey == key {
			n++
		}
	}
	return n
}

// reusedKeys returns the keys sent again with another body (a bug: a real
// gateway refuses them).
func (g *fakeGateway) reusedKeys() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.reused)
}

// flakyPayments wraps a gateway with faults: while crashes > 0 a Charge
// goes through and then fails as if the answer were lost (a crash between
// the charge and its write); while down > 0 a Charge fails before reaching
// the gateway.
type flakyPayments struct {
	subscription.Payments
	crashes atomic.Int32
	down    atomic.Int32
}

func (f *flakyPayments) Charge(ctx context.Context, req subscription.ChargeRequest) (subscription.ChargeResult, error) {
	if f.down.Add(-1) >= 0 {
		return subscription.ChargeResult{}, platform.Errorf(platform.KindUnavailable, "gateway down")
	}
	res, err := f.Payments.Charge(ctx, req)
	if err == nil && f.crashes.Add(-1) >= 0 {
		return subscription.ChargeResult{}, platform.Errorf(platform.KindUnavailable, "connection reset after the charge")
	}
	return res, err
}
