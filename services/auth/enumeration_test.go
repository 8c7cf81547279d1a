package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dflix/dflix/services/platform"
)

// answer is everything a client can observe of a failed sign-in, plus the
// argon2 work it cost the server (the part of its time that depends on
// the password check).
type answer struct {
	kind        platform.Kind
	message     string
	derivations int64
}

// TestNoAccountEnumeration: an existing and an unknown account get the
// same answers for a wrong password and once rate limited, costing the same
// hashing work, directly and across the wire. Work is counted, not timed.
func TestNoAccountEnumeration(t *testing.T) {
	for name, newAPI := range map[string]func(*testing.T) (API, *fixture){"direct": direct, "wire": wire} {
		t.Run(name, func(t *testing.T) {
			api, f := newAPI(t)
			register(t, api, "known@x.io")
			attempt := func(email, password string) answer {
				before := f.svc.hasher.derivations.Load()
				err := login(api, email, password, "192.0.2.1")
				return answer{platform.KindOf(err), platform.PublicMessage(err), f.svc.hasher.derivations.Load() - before}
			}

			before := f.svc.hasher.derivations.Load()
			_, err := api.Login(t.Context(), LoginRequest{Email: "known@x.io", Password: testPassword})
			assert.NoError(t, err)
			assert.Equal(t, int64(1), f.svc.hasher.derivations.Load()-before, "a correct password costs one derivation")

			wrong := attempt("known@x.io", "wrong password")
			assert.Equal(t, answer{platform.KindUnauthenticated, "invalid email or password", 1}, wrong)
			assert.Equal(t, wrong, attempt("unknown@x.io", "wrong password"), "unknown email")
			assert.Equal(t, wrong, attempt("UNKNOWN@x.io", testPassword), "unknown email, any password")
			assert.Equal(t, wrong, attempt("not an address", "wrong password"), "malformed email")

			// Both reach their limit (each has DefaultAccountLimit.Max failures).
			for range DefaultAccountLimit.Max - 1 {
				attempt("known@x.io", "wrong password")
			}
			for range DefaultAccountLimit.Max - 2 {
				attempt("unknown@x.io", "wrong password")
			}
			limited := attempt("known@x.io", testPassword)
			assert.Equal(t, answer{platform.KindRateLimited, limitedMsg, 0}, limited, "refused before any hashing")
			assert.Equal(t, limited, attempt("unknown@x.io", testPassword))
			assert.Equal(t, limited, attempt("unknown@x.io", "wrong password"))
		})
	}
}
