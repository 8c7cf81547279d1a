package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

// normalizeEmail trims and lowercases an email address and checks that it is
// a plain address (no display name, no angle brackets). Errors are
// KindInvalid.
func normalizeEmail(raw string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(raw))
	switch {
	case email == "":
		return "", platform.E(platform.KindInvalid, "email is required", nil)
	case len(email) > MaxEmailLen:
		return "", platform.Errorf(platform.KindInvalid, "email is longer than %d bytes", MaxEmailLen)
	case hasControl(email):
		return "", platform.E(platform.KindInvalid, "email is not a valid address", nil)
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "", platform.E(platform.KindInvalid, "email is not a valid address", err)
	}
	return email, nil
}

// checkPassword enforces the length bounds, counted in characters.
func checkPassword(field, password string) error {
	if !utf8.ValidString(password) {
		return platform.Errorf(platform.KindInvalid, "%s is not valid UTF-8", field)
	}
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return platform.Errorf(platform.KindInvalid, "%s must be at least %d characters", field, MinPasswordLen)
	case n > MaxPasswordLen:
		return platform.Errorf(platform.KindInvalid, "%s must be at most %d characters", field, MaxPasswordLen)
	}
	return nil
}

// cleanDisplayName trims the name and checks it is 1..MaxDisplayName
// characters without control characters.
func cleanDisplayName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	n := utf8.RuneCountInString(name)
	switch {
	case !utf8.ValidString(name):
		return "", platform.E(platform.KindInvalid, "display name is not valid UTF-8", nil)
	case n == 0:
		return "", platform.E(platform.KindInvalid, "display name is required", nil)
	case n > MaxDisplayName:
		return "", platform.Errorf(platform.KindInvalid, "display name must be at most %d characters", MaxDisplayName)
	case hasControl(name):
		return "", platform.E(platform.KindInvalid, "display name must not contain control characters", nil)
	}
	return name, nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError })
}

// parseUserID checks that id is a UUID in canonical form (KindInvalid).
func parseUserID(id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		return "", platform.E(platform.KindInvalid, "user id is not a valid id", err)
	}
	return id, nil
}

// checkRole accepts the two roles auth issues (KindInvalid otherwise).
func checkRole(r platform.Role) error {
	if r != platform.RoleAdmin && r != platform.RoleViewer {
		return platform.Errorf(platform.KindInvalid, "role must be %s or %s", platform.RoleAdmin, platform.RoleViewer)
	}
	return nil
}
