package sandbox

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The test cards; see the package documentation.
const (
	// CardApprove (visa) approves every charge.
	CardApprove = "4242424242424242"
	// CardMastercardApprove approves every charge.
	CardMastercardApprove = "5555555555554444"
	// CardDecline declines every charge with DeclineCardDeclined.
	CardDecline = "4000000000000002"
	// CardInsufficientFunds declines every charge with
	// DeclineInsufficientFunds.
	CardInsufficientFunds = "4000000000009995"
	// CardApproveOnce approves the first charge of its token and declines
	// every later one with DeclineCardDeclined.
	CardApproveOnce = "4000000000000341"
)

// The decline reasons of a ChargeResponse.
const (
	DeclineCardDeclined      = "card_declined"
	DeclineInsufficientFunds = "insufficient_funds"
)

// The card brands.
const (
	BrandVisa       = "visa"
	BrandMastercard = "mastercard"
	BrandAmex       = "amex"
	BrandUnknown    = "unknown"
)

// class is how a card behaves when charged; the token keeps it, never the
// number.
type class string

const (
	classApprove      class = "approve"
	classDecline      class = "decline"
	classInsufficient class = "insufficient_funds"
	classApproveOnce  class = "approve_once"
)

// card is what the gateway keeps of a valid card.
type card struct {
	brand, last4 string
	class        class
}

// invalidCard is why a card is refused; its text never holds the number.
type invalidCard struct{ reason string }

func (e *invalidCard) Error() string { return e.reason }

// checkCard validates a card as of now and returns what is kept of it.
//
// Errors: *invalidCard for a number that is not 12 to 19 digits or fails
// the Luhn check, an expiry that is not a month or has passed, or a CVC
// that is not 3 digits (4 for amex).
func checkCard(req TokenRequest, now time.Time) (card, error) {
	number := strings.NewReplacer(" ", "", "-", "").Replace(req.Number)
	if len(number) < 12 || len(number) > 19 || !digits(number) || !luhn(number) {
		return card{}, &invalidCard{"the card number is invalid"}
	}
	if err := checkExpiry(req.ExpMonth, req.ExpYear, now); err != nil {
		return card{}, err
	}
	b := brand(number)
	cvcLen := 3
	if b == BrandAmex {
		cvcLen = 4
	}
	if len(req.CVC) != cvcLen || !digits(req.CVC) {
		return card{}, &invalidCard{fmt.Sprintf("the CVC must be %d digits", cvcLen)}
	}
	return card{brand: b, last4: number[len(number)-4:], class: classOf(number)}, nil
}

// checkExpiry accepts a card valid through the end of month/year (a year
// below 100 is taken as 20yy).
func checkExpiry(month, year int, now time.Time) error {
	if month < 1 || month > 12 || year < 0 {
		return &invalidCard{"the expiry date is invalid"}
	}
	if year < 100 {
		year += 2000
	}
	end := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
	if !now.Before(end) {
		return &invalidCard{"the card has expired"}
	}
	return nil
}

// digits reports whether s is all ASCII digits.
func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// luhn reports whether number (all digits) passes the Luhn check.
func luhn(number string) bool {
	sum := 0
	double := false
	for i := len(number) - 1; i >= 0; i-- {
		d := int(number[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// brand names the card network of number from its prefix.
func brand(number string) string {
	p2, _ := strconv.Atoi(number[:2])
	p4, _ := strconv.Atoi(number[:4])
	switch {
	case number[0] == '4':
		return BrandVisa
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return BrandMastercard
	case p2 == 34 || p2 == 37:
		return BrandAmex
	}
	return BrandUnknown
}

// classOf is the test behaviour of number: that of a test card, else
// approve.
func classOf(number string) class {
	switch number {
	case CardDecline:
		return classDecline
	case CardInsufficientFunds:
		return classInsufficient
	case CardApproveOnce:
		return classApproveOnce
	}
	return classApprove
}

// decide is the outcome of charging a card of class c whose token has
// been charged before times: approved, or the decline reason.
func decide(c class, before int) (approved bool, reason string) {
	switch c {
	case classDecline:
		return false, DeclineCardDeclined
	case classInsufficient:
		return false, DeclineInsufficientFunds
	case classApproveOnce:
		if before > 0 {
			return false, DeclineCardDeclined
		}
	}
	return true, ""
}
