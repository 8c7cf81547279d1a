package sandbox_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/dflix/dflix/services/subscription/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenizeValidCards(t *testing.T) {
	cases := []struct {
		number, cvc, brand, last4 string
	}{
		{sandbox.CardApprove, "123", sandbox.BrandVisa, "4242"},
		{sandbox.CardMastercardApprove, "123", sandbox.BrandMastercard, "4444"},
		{sandbox.CardDecline, "123", sandbox.BrandVisa, "0002"},
		{sandbox.CardInsufficientFunds, "123", sandbox.BrandVisa, "9995"},
		{sandbox.CardApproveOnce, "123", sandbox.BrandVisa, "0341"},
		{"4242 4242 4242 4242", "123", sandbox.BrandVisa, "4242"},
		{"2221000000000009", "123", sandbox.BrandMastercard, "0009"},
		{"2720990000000007", "123", sandbox.BrandMastercard, "0007"},
		{"378282246310005", "1234", sandbox.BrandAmex, "0005"},
		{"6011111111111117", "123", sandbox.BrandUnknown, "1117"},
	}
	f := newFixture(t)
	tokenPattern := regexp.MustCompile(`^tok_[0-9a-f]{24}$`)
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.number, func(t *testing.T) {
			status, body, _ := f.do(t, http.MethodPost, "/tokens", "", sandbox.TokenRequest{Number: c.number, ExpMonth: 3, ExpYear: 26, CVC: c.cvc})
			require.Equal(t, http.StatusCreated, status, "%s", body)
			resp := decode[sandbox.TokenResponse](t, body)
			assert.Regexp(t, tokenPattern, resp.Token)
			assert.False(t, seen[resp.Token], "tokens are new every time")
			seen[resp.Token] = true
			assert.Equal(t, c.brand, resp.Brand)
			assert.Equal(t, c.last4, resp.Last4)
		})
	}
}

func TestTokenizeRefusesInvalidCards(t *testing.T) {
	cases := []struct {
		name string
		req  sandbox.TokenRequest
	}{
		{"luhn", sandbox.TokenRequest{Number: "4242424242424241", ExpMonth: 12, ExpYear: 2030, CVC: "123"}},
		{"too short", sandbox.TokenRequest{Number: "42424242424", ExpMonth: 12, ExpYear: 2030, CVC: "123"}},
		{"letters", sandbox.TokenRequest{Number: "4242x24242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"}},
		{"empty", sandbox.TokenRequest{ExpMonth: 12, ExpYear: 2030, CVC: "123"}},
		{"expired last month", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 2, ExpYear: 2026, CVC: "123"}},
		{"expired years ago", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 19, CVC: "123"}},
		{"month 13", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 13, ExpYear: 2030, CVC: "123"}},
		{"month 0", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpYear: 2030, CVC: "123"}},
		{"short cvc", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2030, CVC: "12"}},
		{"letter cvc", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2030, CVC: "12a"}},
		{"amex 3-digit cvc", sandbox.TokenRequest{Number: "378282246310005", ExpMonth: 12, ExpYear: 2030, CVC: "123"}},
		{"visa 4-digit cvc", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2030, CVC: "1234"}},
	}
	f := newFixture(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := f.do(t, http.MethodPost, "/tokens", "", c.req)
			assert.Equal(t, http.StatusPaymentRequired, status)
			e := decode[sandbox.ErrorResponse](t, body)
			assert.Equal(t, sandbox.CodeInvalidCard, e.Error)
			assert.NotEmpty(t, e.Message)
		})
	}
	assert.Empty(t, f.state.dump(), "nothing is stored of a refused card")
}

func TestTokenizeMalformedBody(t *testing.T) {
	f := newFixture(t)
	status, body, _ := f.do(t, http.MethodPost, "/tokens", "", "not an object")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, sandbox.CodeInvalidRequest, errorCode(t, body))
}

func TestNilClockAndLoggerAreDefaults(t *testing.T) {
	f := newFixture(t)
	f.gw = sandbox.New(f.state, nil, nil)
	status, body, _ := f.do(t, http.MethodPost, "/tokens", "", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2999, CVC: "123"})
	assert.Equal(t, http.StatusCreated, status, "%s", body)
	status, _, _ = f.do(t, http.MethodPost, "/tokens", "", sandbox.TokenRequest{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: 2000, CVC: "123"})
	assert.Equal(t, http.StatusPaymentRequired, status, "expired by the wall clock")
}
