package gateway_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientOverEmbeddedBinding(t *testing.T) {
	gw := newSandbox(t)
	testPayments(t, gateway.New(embedded.NewHTTPBinding(gw, "http://payments.local")), gw)
}

// fakeBinding answers every call with resp and err, and records the calls.
type fakeBinding struct {
	resp  platform.BindingResponse
	err   error
	calls []platform.BindingRequest
}

func (f *fakeBinding) InvokeBinding(_ context.Context, req platform.BindingRequest) (platform.BindingResponse, error) {
	f.calls = append(f.calls, req)
	return f.resp, f.err
}

// answer is a bindings.http response of status with body.
func answer(status int, body string) platform.BindingResponse {
	return platform.BindingResponse{Data: []byte(body), Metadata: map[string]string{"statusCode": strconv.Itoa(status)}}
}

func TestClientRequests(t *testing.T) {
	ctx := context.Background()
	b := &fakeBinding{resp: answer(201, `{"token":"tok_1","brand":"visa","last4":"4242"}`)}
	pm, err := gateway.New(b).Tokenize(ctx, card("4242424242424242"))
	require.NoError(t, err)
	assert.Equal(t, subscription.PaymentMethod{Token: "tok_1", Brand: "visa", Last4: "4242"}, pm)
	require.Len(t, b.calls, 1)
	assert.Equal(t, "post", b.calls[0].Operation)
	assert.Equal(t, map[string]string{"path": "/tokens", "Content-Type": "application/json"}, b.calls[0].Metadata)
	assert.JSONEq(t, `{"number":"4242424242424242","expMonth":12,"expYear":2030,"cvc":"123"}`, string(b.calls[0].Data))

	b = &fakeBinding{resp: answer(200, `{"chargeId":"ch_1","approved":false,"declineReason":"card_declined"}`)}
	res, err := gateway.New(b).Charge(ctx, subscription.ChargeRequest{
		IdempotencyKey: "renew:u1:1:1", Token: "tok_1", AmountMinor: 999, Currency: "EUR", Description: "plan",
	})
	require.NoError(t, err)
	assert.Equal(t, subscription.ChargeResult{ChargeID: "ch_1", DeclineReason: "card_declined"}, res)
	require.Len(t, b.calls, 1)
	assert.Equal(t, "post", b.calls[0].Operation)
	assert.Equal(t, map[string]string{
		"path": "/charges", "Content-Type": "application/json", "Idempotency-Key": "renew:u1:1:1",
	}, b.calls[0].Metadata)
	var body map[string]any
	require.NoError(t, json.Unmarshal(b.calls[0].Data, &body))
	assert.Equal(t, map[string]any{"token": "tok_1", "amountMinor": 999.0, "currency": "EUR", "description": "plan"}, body)
}

func TestClientClassifiesFailures(t *testing.T) {
	down := platform.E(platform.KindUnavailable, "unreachable", nil)
	cases := []struct {
		name string
		resp platform.BindingResponse
		err  error
		kind platform.Kind
		code string
	}{
		{"402", answer(402, `{"error":"invalid_card","message":"the card has expired"}`), nil, platform.KindInvalid, subscription.CodePaymentDeclined},
		{"400", answer(400, `{"error":"invalid_request","message":"bad"}`), nil, platform.KindInvalid, ""},
		{"404", answer(404, `{"error":"unknown_token"}`), nil, platform.KindNotFound, ""},
		{"409", answer(409, `{"error":"idempotency_conflict"}`), nil, platform.KindConflict, ""},
		{"429", answer(429, ``), nil, platform.KindUnavailable, ""},
		{"500", answer(500, `{"error":"internal"}`), nil, platform.KindUnavailable, ""},
		{"503 no body", answer(503, ``), nil, platform.KindUnavailable, ""},
		{"binding down", platform.BindingResponse{}, down, platform.KindUnavailable, ""},
		{"binding internal", platform.BindingResponse{}, platform.E(platform.KindInternal, "x", nil), platform.KindUnavailable, ""},
		{"200 garbage", answer(200, `<html>`), nil, platform.KindUnavailable, ""},
		{"200 empty object", answer(200, `{}`), nil, platform.KindUnavailable, ""},
		{"no statusCode", platform.BindingResponse{Data: []byte(`{}`)}, nil, platform.KindInternal, ""},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			client := gateway.New(&fakeBinding{resp: c.resp, err: c.err})
			_, err := client.Tokenize(ctx, card("4242424242424242"))
			assert.Equal(t, c.kind, platform.KindOf(err), "tokenize: %v", err)
			assert.Equal(t, c.code, platform.CodeOf(err))
			_, err = client.Charge(ctx, subscription.ChargeRequest{IdempotencyKey: "k", Token: "tok_1", AmountMinor: 1, Currency: "EUR"})
			assert.Equal(t, c.kind, platform.KindOf(err), "charge: %v", err)
		})
	}
}

func TestChargeNeedsAnIdempotencyKey(t *testing.T) {
	b := &fakeBinding{resp: answer(200, `{"chargeId":"ch_1","approved":true}`)}
	_, err := gateway.New(b).Charge(context.Background(), subscription.ChargeRequest{Token: "tok_1", AmountMinor: 1, Currency: "EUR"})
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err))
	assert.Empty(t, b.calls, "nothing is sent")
}
