package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

var _ subscription.Payments = (*Client)(nil)

// The gateway's paths, relative to the binding's URL.
const (
	tokensPath  = "/tokens"
	chargesPath = "/charges"
)

// unavailable is the client-safe text of a gateway that cannot answer.
const unavailable = "payment gateway unavailable, try again"

// tokenBody is the body of post /tokens.
type tokenBody struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"expMonth"`
	ExpYear  int    `json:"expYear"`
	CVC      string `json:"cvc"`
}

// tokenAnswer is the answer to post /tokens.
type tokenAnswer struct {
	Token string `json:"token"`
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// chargeBody is the body of post /charges.
type chargeBody struct {
	Token       string `json:"token"`
	AmountMinor int64  `json:"amountMinor"`
	Currency    string `json:"currency"`
	Description string `json:"description"`
}

// chargeAnswer is the answer to post /charges.
type chargeAnswer struct {
	ChargeID      string `json:"chargeId"`
	Approved      bool   `json:"approved"`
	DeclineReason string `json:"declineReason"`
}

// errorAnswer is the body of a 4xx or 5xx answer.
type errorAnswer struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Client is subscription.Payments over the gateway's HTTP API, reached
// through an output binding. It is safe for concurrent use when the
// binding is.
type Client struct {
	b platform.Binding
}

// New returns the client that calls the gateway through b.
func New(b platform.Binding) *Client {
	return &Client{b: b}
}

// Tokenize exchanges a card for a token with its brand and last four
// digits. The card goes to the gateway only; errors never quote it.
//
// Errors: KindInvalid with Code subscription.CodePaymentDeclined for a
// card the gateway refuses (402: bad number, expired, bad CVC); see call
// for the others.
func (c *Client) Tokenize(ctx context.Context, card subscription.CardInput) (subscription.PaymentMethod, error) {
	body := tokenBody{Number: card.Number, ExpMonth: card.ExpMonth, ExpYear: card.ExpYear, CVC: card.CVC}
	var out tokenAnswer
	if err := c.call(ctx, tokensPath, nil, body, &out); err != nil {
		return subscription.PaymentMethod{}, fmt.Errorf("gateway: tokenize: %w", err)
	}
	if out.Token == "" {
		return subscription.PaymentMethod{}, platform.E(platform.KindUnavailable, unavailable,
			fmt.Errorf("gateway: tokenize: the answer has no token"))
	}
	return subscription.PaymentMethod{Token: out.Token, Brand: out.Brand, Last4: out.Last4}, nil
}

// Charge charges a token under req.IdempotencyKey: the gateway charges a
// key at most once and answers it the same every time. A decline is a
// result (Approved false, DeclineReason), not an error.
//
// Errors: KindInvalid without an idempotency key (nothing is sent);
// KindConflict when the key was used before for another charge;
// KindNotFound for a token the gateway does not know; KindUnavailable
// when the outcome is unknown (retry with the same key); see call.
func (c *Client) Charge(ctx context.Context, req subscription.ChargeRequest) (subscription.ChargeResult, error) {
	if req.IdempotencyKey == "" {
		return subscription.ChargeResult{}, platform.Errorf(platform.KindInvalid, "gateway: charge: an idempotency key is required")
	}
	body := chargeBody{Token: req.Token, AmountMinor: req.AmountMinor, Currency: req.Currency, Description: req.Description}
	var out chargeAnswer
	headers := map[string]string{"Idempotency-Key": req.IdempotencyKey}
	if err := c.call(ctx, chargesPath, headers, body, &out); err != nil {
		return subscription.ChargeResult{}, fmt.Errorf("gateway: charge %s: %w", req.IdempotencyKey, err)
	}
	if out.ChargeID == "" {
		return subscription.ChargeResult{}, platform.E(platform.KindUnavailable, unavailable,
			fmt.Errorf("gateway: charge %s: the answer has no charge id", req.IdempotencyKey))
	}
	return subscription.ChargeResult{ChargeID: out.ChargeID, Approved: out.Approved, DeclineReason: out.DeclineReason}, nil
}

// call posts body as JSON to path with the headers and decodes a 2xx
// answer into out.
//
// Errors: KindUnavailable when the binding fails (the gateway cannot be
// reached), the gateway answers 5xx or 429, or a 2xx answer does not
// decode; KindInternal for a response without a statusCode (a binding
// that is not bindings.http); the kind of the gateway's 4xx (see
// statusError).
func (c *Client) call(ctx context.Context, path string, headers map[string]string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return platform.E(platform.KindInternal, "internal error", fmt.Errorf("encode request: %w", err))
	}
	md := map[string]string{platform.BindingPath: path, "Content-Type": "application/json"}
	for k, v := range headers {
		md[k] = v
	}
	resp, err := c.b.InvokeBinding(ctx, platform.BindingRequest{Operation: "post", Data: data, Metadata: md})
	if err != nil {
		return platform.E(platform.KindUnavailable, unavailable, fmt.Errorf("post %s: %w", path, err))
	}
	status := resp.StatusCode()
	switch {
	case status == 0:
		return platform.E(platform.KindInternal, "internal error",
			fmt.Errorf("post %s: the binding's response has no statusCode (is it bindings.http?)", path))
	case status/100 != 2:
		return statusError(status, resp.Data)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return platform.E(platform.KindUnavailable, unavailable, fmt.Errorf("post %s: decode answer: %w", path, err))
	}
	return nil
}

// statusError classifies a non-2xx answer of the gateway: 402 a refused
// card (KindInvalid, CodePaymentDeclined), 404 KindNotFound, 409
// KindConflict, 429 and 5xx KindUnavailable, other 4xx KindInvalid. The
// gateway's message is client-safe and kept.
func statusError(status int, body []byte) error {
	var e errorAnswer
	_ = json.Unmarshal(body, &e) // best effort: the status decides
	cause := fmt.Errorf("gateway answered %d %s: %s", status, e.Error, e.Message)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	switch {
	case status == http.StatusPaymentRequired:
		return platform.Coded(platform.KindInvalid, subscription.CodePaymentDeclined, "card declined: "+msg, cause)
	case status == http.StatusNotFound:
		return platform.E(platform.KindNotFound, "payment method unknown to the gateway: "+msg, cause)
	case status == http.StatusConflict:
		return platform.E(platform.KindConflict, "payment gateway conflict: "+msg, cause)
	case status == http.StatusTooManyRequests, status >= 500:
		return platform.E(platform.KindUnavailable, unavailable, cause)
	}
	return platform.E(platform.KindInvalid, "payment gateway refused the request: "+msg, cause)
}
