package catalog

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

// invalid returns a KindInvalid error with a formatted client-safe message.
func invalid(format string, args ...any) error {
	return platform.Errorf(platform.KindInvalid, format, args...)
}

// notFound returns a KindNotFound error saying what was not found.
func notFound(what string) error {
	return platform.E(platform.KindNotFound, what+" not found", nil)
}

// clip shortens user input echoed in an error message.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "…"
}

// parseID checks that id is a UUID and returns it in canonical form.
// Errors: KindInvalid "malformed id".
func parseID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return "", invalid("malformed id %q", clip(id))
	}
	return u.String(), nil
}

// parseIDs checks every id and returns them canonical, in order.
func parseIDs(ids []string) ([]string, error) {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		c, err := parseID(id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// cleanText trims s and checks it is valid UTF-8 of 1..maxLen characters
// without control characters. field names it in messages.
func cleanText(field, s string, maxLen int) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return "", invalid("%s is not valid UTF-8", field)
	case n == 0:
		return "", invalid("%s is required", field)
	case n > maxLen:
		return "", invalid("%s must be at most %d characters", field, maxLen)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "", invalid("%s must not contain control characters", field)
	}
	return s, nil
}

// cleanDescription trims s and checks it is valid UTF-8 of at most maxLen
// characters; line breaks and tabs are its only allowed control characters.
func cleanDescription(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", invalid("description is not valid UTF-8")
	case utf8.RuneCountInString(s) > MaxDescriptionLen:
		return "", invalid("description must be at most %d characters", MaxDescriptionLen)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		return "", invalid("description must not contain control characters other than line breaks and tabs")
	}
	return s, nil
}

// checkYear checks a release year against MinReleaseYear and the current
// year plus five.
func checkYear(year, currentYear int) error {
	if year < MinReleaseYear || year > currentYear+5 {
		return invalid("release year must be between %d and %d", MinReleaseYear, currentYear+5)
	}
	return nil
}

// checkDuration checks that a duration is not negative.
func checkDuration(seconds int) error {
	if seconds < 0 {
		return invalid("duration must not be negative")
	}
	return nil
}

// validRating reports whether r is one of the age ratings.
func validRating(r AgeRating) bool {
	switch r {
	case RatingG, RatingPG, RatingPG13, RatingR, RatingNC17:
		return true
	}
	return false
}

// checkRating checks that r is one of the age ratings.
func checkRating(r AgeRating) error {
	if !validRating(r) {
		return invalid("age rating %q is not one of G, PG, PG13, R, NC17", clip(string(r)))
	}
	return nil
}

// checkCastType checks that t is ACTOR or DIRECTOR.
func checkCastType(t CastType) error {
	if t != CastActor && t != CastDirector {
		return invalid("cast type %q is not one of ACTOR, DIRECTOR", clip(string(t)))
	}
	return nil
}

// normalizeTag trims and lowercases a tag and checks its length and
// characters (letters, digits, spaces and hyphens, inner spaces collapsed).
func normalizeTag(raw string) (string, error) {
	tag := strings.Join(strings.Fields(strings.ToLower(raw)), " ")
	n := utf8.RuneCountInString(tag)
	switch {
	case !utf8.ValidString(tag):
		return "", invalid("tag is not valid UTF-8")
	case n == 0:
		return "", invalid("tag must not be empty")
	case n > MaxTagLen:
		return "", invalid("tag %q is longer than %d characters", clip(tag), MaxTagLen)
	}
	for _, r := range tag {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != ' ' && r != '-' {
			return "", invalid("tag %q may contain only letters, digits, spaces and hyphens", clip(tag))
		}
	}
	return tag, nil
}

// normalizeTags normalizes each tag and drops duplicates, keeping the first
// occurrence's position; at most limit tags may be given.
func normalizeTags(raw []string, limit int) ([]string, error) {
	if len(raw) > limit {
		return nil, invalid("at most %d tags may be given", limit)
	}
	out := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, r := range raw {
		tag, err := normalizeTag(r)
		if err != nil {
			return nil, err
		}
		if !seen[tag] {
			seen[tag] = true
			out = append(out, tag)
		}
	}
	return out, nil
}

// checkPage applies the default page size and checks the bounds.
func checkPage(p Page) (Page, error) {
	switch {
	case p.First == 0:
		p.First = DefaultPageSize
	case p.First < 0 || p.First > MaxPageSize:
		return p, invalid("page size must be between 1 and %d", MaxPageSize)
	}
	return p, nil
}

// checkFilter checks a filter's ids and rating and returns it with
// canonical ids.
func checkFilter(f VideoFilter) (VideoFilter, error) {
	var err error
	for _, id := range []*string{&f.CategoryID, &f.GenreID, &f.CastMemberID} {
		if *id == "" {
			continue
		}
		if *id, err = parseID(*id); err != nil {
			return f, err
		}
	}
	if f.AgeRating != "" {
		if err := checkRating(f.AgeRating); err != nil {
			return f, err
		}
	}
	return f, nil
}
