package subscription

import "context"

// Payments is the payment gateway as the service needs it. The gateway
// behind it is reached through a Dapr output binding (bindings.http) or,
// in one process, the built-in sandbox (package sandbox).
type Payments interface {
	// Tokenize exchanges a card for a reusable token with its brand and
	// last four digits. A card the gateway refuses is KindInvalid with
	// Code CodePaymentDeclined.
	Tokenize(ctx context.Context, card CardInput) (PaymentMethod, error)
	// Charge charges a token. The same IdempotencyKey always yields the
	// same outcome and at most one charge, however often it is sent. A
	// decline is a result (Approved false), not an error; an error means
	// the outcome is unknown (KindUnavailable): retry with the same key.
	Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error)
}

// ChargeRequest is one charge.
type ChargeRequest struct {
	IdempotencyKey string `json:"idempotencyKey"`
	Token          string `json:"token"`
	AmountMinor    int64  `json:"amountMinor"`
	Currency       string `json:"currency"`
	Description    string `json:"description"`
}

// ChargeResult is the gateway's answer.
type ChargeResult struct {
	ChargeID      string `json:"chargeId"`
	Approved      bool   `json:"approved"`
	DeclineReason string `json:"declineReason,omitempty"` // e.g. "card_declined", "insufficient_funds"
}
