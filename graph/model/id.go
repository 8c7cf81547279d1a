package model

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"github.com/dflix/dflix/services/platform"
)

// MaxIDLen bounds an ID argument; every service id is far shorter.
const MaxIDLen = 128

// MarshalID writes an ID as a JSON string.
func MarshalID(id string) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(id))
	})
}

// UnmarshalID reads an ID argument and checks its shape: 1..MaxIDLen
// characters from [A-Za-z0-9._:-]. The services check that it names
// something. A malformed ID is KindInvalid (BAD_USER_INPUT).
func UnmarshalID(v any) (string, error) {
	var id string
	switch t := v.(type) {
	case string:
		id = t
	case int, int32, int64:
		id = fmt.Sprint(t)
	default:
		return "", platform.Errorf(platform.KindInvalid, "an ID must be a string, not %T", v)
	}
	if err := CheckID(id); err != nil {
		return "", err
	}
	return id, nil
}

// CheckID reports a malformed id as KindInvalid.
func CheckID(id string) error {
	if id == "" {
		return platform.E(platform.KindInvalid, "an ID must not be empty", nil)
	}
	if len(id) > MaxIDLen {
		return platform.Errorf(platform.KindInvalid, "an ID must be at most %d characters", MaxIDLen)
	}
	for _, r := range id {
		if !idRune(r) {
			return platform.Errorf(platform.KindInvalid, "malformed ID %q", truncate(id, 40))
		}
	}
	return nil
}

func idRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r == '-', r == '_', r == '.', r == ':':
		return true
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
