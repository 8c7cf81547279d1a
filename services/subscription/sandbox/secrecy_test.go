package sandbox_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/dflix/dflix/services/subscription/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCardNumbersAreNeverKept tokenizes and charges every test card, and
// tries refused ones, then looks for the numbers and CVCs in everything
// the gateway stored and logged.
func TestCardNumbersAreNeverKept(t *testing.T) {
	f := newFixture(t)
	numbers := []string{
		sandbox.CardApprove, sandbox.CardMastercardApprove, sandbox.CardDecline,
		sandbox.CardInsufficientFunds, sandbox.CardApproveOnce, "6011111111111117",
	}
	for i, n := range numbers {
		tok := f.tokenize(t, n).Token
		f.charge(t, tok, fmt.Sprintf("k-%d", i))
		f.charge(t, tok, fmt.Sprintf("k-%d-again", i))
	}
	refused := []sandbox.TokenRequest{
		{Number: "4242424242424241", ExpMonth: 12, ExpYear: 2030, CVC: "987"},
		{Number: "4111111111111111", ExpMonth: 1, ExpYear: 2020, CVC: "987"},
		{Number: "5105105105105100", ExpMonth: 12, ExpYear: 2030, CVC: "98"},
	}
	for _, r := range refused {
		status, _, _ := f.do(t, http.MethodPost, "/tokens", "", r)
		require.Equal(t, http.StatusPaymentRequired, status)
		numbers = append(numbers, r.Number)
	}

	stored, logged := f.state.dump(), f.logs.String()
	require.Contains(t, stored, "sandbox/token/", "the dump holds the tokens")
	require.Contains(t, logged, "sandbox: card tokenized", "the logs were captured")
	for _, n := range numbers {
		assert.NotContains(t, stored, n, "card number in the state")
		assert.NotContains(t, logged, n, "card number in the logs")
		assert.NotContains(t, stored, n[:12], "the first 12 digits in the state")
		assert.NotContains(t, logged, n[:12], "the first 12 digits in the logs")
	}
	for _, cvc := range []string{`"123"`, `"987"`} {
		assert.NotContains(t, stored, cvc, "a CVC in the state")
		assert.NotContains(t, logged, cvc, "a CVC in the logs")
	}
}
