package subscription

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of plan input.
const (
	MaxPlanNameLen    = 80
	MaxDescriptionLen = 2000
	MaxTrialDays      = 90
	MaxStreamsLimit   = 10
	// maxIDLen bounds ids that come from other services (videos).
	maxIDLen = 128
)

// Resolutions lists the MaxResolution values a plan may have: the heights
// of the encoder's default ladder.
func Resolutions() []int { return []int{240, 360, 480, 720, 1080} }

// cleanPlanInput trims and checks an admin's plan input.
// Errors: KindInvalid naming the first bad field.
func cleanPlanInput(in PlanInput) (PlanInput, error) {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	in.Currency = strings.TrimSpace(in.Currency)
	if err := checkText("name", in.Name, 1, MaxPlanNameLen); err != nil {
		return in, err
	}
	if !utf8.ValidString(in.Description) || utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		return in, invalid("description must be valid text of at most %d characters", MaxDescriptionLen)
	}
	switch {
	case !validCurrency(in.Currency):
		return in, invalid("currency must be three upper-case letters (ISO 4217), got %q", clip(in.Currency))
	case in.PriceMinor < 0:
		return in, invalid("price must not be negative")
	case in.Period != Monthly && in.Period != Yearly:
		return in, invalid("period must be %s or %s", Monthly, Yearly)
	case in.TrialDays < 0 || in.TrialDays > MaxTrialDays:
		return in, invalid("trial days must be between 0 and %d", MaxTrialDays)
	case !slices.Contains(Resolutions(), in.MaxResolution):
		return in, invalid("max resolution must be one of %v", Resolutions())
	case in.MaxStreams < 1 || in.MaxStreams > MaxStreamsLimit:
		return in, invalid("max streams must be between 1 and %d", MaxStreamsLimit)
	}
	return in, nil
}

// applyPlanInput returns p with the settings of in, updated at now.
func applyPlanInput(p Plan, in PlanInput, now time.Time) Plan {
	p.Name, p.Description = in.Name, in.Description
	p.PriceMinor, p.Currency, p.Period = in.PriceMinor, in.Currency, in.Period
	p.TrialDays, p.MaxResolution, p.MaxStreams = in.TrialDays, in.MaxResolution, in.MaxStreams
	p.UpdatedAt = now
	return p
}

// planInputOf returns the settings of p.
func planInputOf(p Plan) PlanInput {
	return PlanInput{
		Name: p.Name, Description: p.Description, PriceMinor: p.PriceMinor, Currency: p.Currency,
		Period: p.Period, TrialDays: p.TrialDays, MaxResolution: p.MaxResolution, MaxStreams: p.MaxStreams,
	}
}

// validCurrency reports whether c is three letters A-Z.
func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// checkText checks that s (already trimmed) is valid UTF-8 of min..max
// characters without control characters. field names it in messages.
func checkText(field, s string, lo, hi int) error {
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return invalid("%s is not valid UTF-8", field)
	case n == 0 && lo > 0:
		return invalid("%s is required", field)
	case n < lo || n > hi:
		return invalid("%s must be %d to %d characters", field, lo, hi)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return invalid("%s must not contain control characters", field)
	}
	return nil
}

// checkVideoID checks a video id from the catalog. Errors: KindInvalid.
func checkVideoID(id string) error {
	if id == "" || len(id) > maxIDLen || strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r == '/' }) >= 0 {
		return invalid("invalid video id %q", clip(id))
	}
	return nil
}

// checkSeconds checks a position or duration. Errors: KindInvalid.
func checkSeconds(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return invalid("%s must be a non-negative number of seconds", field)
	}
	return nil
}

// clip shortens user input echoed in an error message.
func clip(s string) string {
	const limit = 40
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return string([]rune(s)[:limit]) + "…"
}

// pageSize returns first bounded to 1..limit, def when it is not
// positive.
func pageSize(first, def, limit int) int {
	if first <= 0 {
		return def
	}
	return min(first, limit)
}
