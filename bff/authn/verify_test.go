package authn_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

type fixture struct {
	clock       *testClock
	src         *keySource
	key         signingKey
	revocations *authn.Revocations
	verifier    *authn.Verifier
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: newClock(t0), src: &keySource{set: jwk.NewSet()}, key: newSigningKey(t, "k1")}
	f.src.publish(f.key.pub)
	keys := authn.NewKeys(f.src, f.clock.Now, 10*time.Second, time.Hour)
	f.revocations = authn.NewRevocations(f.clock.Now, time.Hour, nil)
	f.verifier = authn.NewVerifier(keys, f.revocations, f.clock.Now, 30*time.Second)
	return f
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name  string
		token func(t *testing.T, f *fixture) string
		want  platform.Caller
		kind  platform.Kind
	}{
		{"valid viewer", func(t *testing.T, f *fixture) string { return sign(t, f.key, validClaims(t0)) },
			platform.Caller{UserID: "user-1", Role: platform.RoleViewer}, ""},
		{"valid admin", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.role = "ADMIN"
			return sign(t, f.key, c)
		}, platform.Caller{UserID: "user-1", Role: platform.RoleAdmin}, ""},
		{"expired", func(t *testing.T, f *fixture) string {
			c := validClaims(t0.Add(-time.Hour))
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"expired within skew is accepted", func(t *testing.T, f *fixture) string {
			c := validClaims(t0.Add(-time.Hour))
			c.expires = t0.Add(-10 * time.Second)
			return sign(t, f.key, c)
		}, platform.Caller{UserID: "user-1", Role: platform.RoleViewer}, ""},
		{"no exp", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.noExp = true
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"issued in the future", func(t *testing.T, f *fixture) string {
			return sign(t, f.key, validClaims(t0.Add(10*time.Minute)))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"not yet valid", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.notBefore = t0.Add(5 * time.Minute)
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"not yet valid within skew is accepted", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.notBefore = t0.Add(10 * time.Second)
			return sign(t, f.key, c)
		}, platform.Caller{UserID: "user-1", Role: platform.RoleViewer}, ""},
		{"unknown kid", func(t *testing.T, f *fixture) string {
			return sign(t, newSigningKey(t, "k-unknown"), validClaims(t0))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"wrong issuer", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.issuer = "evil"
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"wrong audience", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.audience = "other-app"
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"no subject", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.subject = ""
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"unknown role", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.role = "ROOT"
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"no role", func(t *testing.T, f *fixture) string {
			c := validClaims(t0)
			c.role = ""
			return sign(t, f.key, c)
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"missing kid", func(t *testing.T, f *fixture) string {
			return sign(t, newSigningKey(t, ""), validClaims(t0))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"alg none", func(t *testing.T, f *fixture) string {
			return unsigned(t, map[string]any{"alg": "none", "kid": "k1", "typ": "JWT"}, validClaims(t0))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"HS256 forged with the public key", func(t *testing.T, f *fixture) string {
			return hmacForged(t, f.key, validClaims(t0))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"another key with the same kid", func(t *testing.T, f *fixture) string {
			return sign(t, newSigningKey(t, "k1"), validClaims(t0))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"tampered payload", func(t *testing.T, f *fixture) string {
			tok := sign(t, f.key, validClaims(t0))
			parts := strings.Split(tok, ".")
			c := validClaims(t0)
			c.role = "ADMIN"
			parts[1] = payload(t, c)
			return strings.Join(parts, ".")
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"garbage", func(*testing.T, *fixture) string { return "not.a.jwt" }, platform.Caller{}, platform.KindUnauthenticated},
		{"same signature bytes, non-canonical base64", func(t *testing.T, f *fixture) string {
			return nonCanonical(t, sign(t, f.key, validClaims(t0)))
		}, platform.Caller{}, platform.KindUnauthenticated},
		{"JSON serialization", func(t *testing.T, f *fixture) string {
			parts := strings.Split(sign(t, f.key, validClaims(t0)), ".")
			return fmt.Sprintf(`{"payload":%q,"protected":%q,"signature":%q}`, parts[1], parts[0], parts[2])
		}, platform.Caller{}, platform.KindUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			id, err := f.verifier.Verify(context.Background(), tt.token(t, f))
			if tt.kind != "" {
				require.Error(t, err)
				t.Logf("refused: %v", err)
				assert.Equal(t, tt.kind, platform.KindOf(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, id.Caller)
		})
	}
}

func TestVerifyUnknownKidRefreshesOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.verifier.Verify(ctx, sign(t, f.key, validClaims(t0)))
	require.NoError(t, err)
	require.Equal(t, 1, f.src.count(), "first token loads the key set")

	// auth rotates: a token signed by the new key makes the verifier refetch once.
	rotated := newSigningKey(t, "k2")
	f.src.publish(rotated.pub)
	f.clock.Advance(11 * time.Second)
	_, err = f.verifier.Verify(ctx, sign(t, rotated, validClaims(f.clock.Now())))
	require.NoError(t, err)
	assert.Equal(t, 2, f.src.count())

	// Known kids never refetch.
	_, err = f.verifier.Verify(ctx, sign(t, f.key, validClaims(f.clock.Now())))
	require.NoError(t, err)
	assert.Equal(t, 2, f.src.count())

	// A flood of unknown kids within the refresh interval costs no fetch.
	for i := range 5 {
		stranger := newSigningKey(t, "unknown-"+string(rune('a'+i)))
		_, err = f.verifier.Verify(ctx, sign(t, stranger, validClaims(f.clock.Now())))
		require.Error(t, err)
		assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(err))
	}
	assert.Equal(t, 2, f.src.count())

	// After the interval, an unknown kid may refetch again, once.
	f.clock.Advance(11 * time.Second)
	_, err = f.verifier.Verify(ctx, sign(t, newSigningKey(t, "k3"), validClaims(f.clock.Now())))
	require.Error(t, err)
	assert.Equal(t, 3, f.src.count())
}

func TestVerifyKeysUnavailable(t *testing.T) {
	f := newFixture(t)
	f.src.fail = platform.E(platform.KindUnavailable, "auth down", errors.New("connection refused"))
	_, err := f.verifier.Verify(context.Background(), sign(t, f.key, validClaims(t0)))
	require.Error(t, err)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err))
}

func TestVerifyRevoked(t *testing.T) {
	tests := []struct {
		name  string
		event func(t *testing.T) platform.Event
		// issuedAt is relative to t0; the event's NotBefore is t0.
		issuedAt time.Duration
		revoked  bool
	}{
		{"issued before NotBefore", revokedEvent(t0), -time.Minute, true},
		{"issued in the NotBefore second", revokedEvent(t0), 0, false},
		{"issued after NotBefore", revokedEvent(t0), time.Second, false},
		{"user deleted", deletedEvent, time.Minute, true},
		{"unrelated event", registeredEvent, -time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			require.NoError(t, f.revocations.Handle(context.Background(), tt.event(t)))
			// Delivered twice: handlers are idempotent.
			require.NoError(t, f.revocations.Handle(context.Background(), tt.event(t)))
			f.clock.Set(t0.Add(2 * time.Minute))
			c := validClaims(t0.Add(tt.issuedAt))
			_, err := f.verifier.Verify(context.Background(), sign(t, f.key, c))
			if tt.revoked {
				require.Error(t, err)
				assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(err))
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestRevocationsOutOfOrder(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	require.NoError(t, f.revocations.Handle(ctx, revokedEvent(t0)(t)))
	require.NoError(t, f.revocations.Handle(ctx, revokedEvent(t0.Add(-time.Hour))(t)), "an older event arriving late")
	f.clock.Set(t0.Add(time.Minute))
	_, err := f.verifier.Verify(ctx, sign(t, f.key, validClaims(t0.Add(-time.Minute))))
	assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(err), "the later NotBefore still applies")
}

func TestRevocationsBadPayloadIsDropped(t *testing.T) {
	r := authn.NewRevocations(time.Now, time.Hour, nil)
	err := r.Handle(context.Background(), platform.Event{ID: "e1", Type: auth.EventTokensRevoked, Data: []byte(`{"userId":`)})
	require.Error(t, err)
	assert.True(t, platform.IsDrop(err))
}

func revokedEvent(notBefore time.Time) func(t *testing.T) platform.Event {
	return func(t *testing.T) platform.Event {
		t.Helper()
		ev, err := platform.NewEvent("auth", auth.Topic, auth.EventTokensRevoked, notBefore,
			auth.TokensRevoked{UserID: "user-1", NotBefore: notBefore, Reason: "password-changed"})
		require.NoError(t, err)
		return ev
	}
}

func deletedEvent(t *testing.T) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent("auth", auth.Topic, auth.EventUserDeleted, t0, auth.UserDeleted{UserID: "user-1"})
	require.NoError(t, err)
	return ev
}

func registeredEvent(t *testing.T) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent("auth", auth.Topic, auth.EventUserRegistered, t0, auth.UserRegistered{User: auth.User{ID: "user-1"}})
	require.NoError(t, err)
	return ev
}

func segment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

func payload(t *testing.T, c claims) string {
	t.Helper()
	b, err := json.Marshal(c.token(t))
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// unsigned builds header.payload. with an empty signature.
func unsigned(t *testing.T, header map[string]any, c claims) string {
	t.Helper()
	return segment(t, header) + "." + payload(t, c) + "."
}

// hmacForged signs with HS256 using the public key as the HMAC secret, the
// classic algorithm-confusion attack; both the raw key bytes and the JWK
// JSON are tried by attackers, the raw bytes are used here.
func hmacForged(t *testing.T, key signingKey, c claims) string {
	t.Helper()
	input := segment(t, map[string]any{"alg": "HS256", "kid": key.pub.KeyID(), "typ": "JWT"}) + "." + payload(t, c)
	mac := hmac.New(sha256.New, key.rawPub)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// nonCanonical sets unused low bits of the token's last character: the
// decoded signature stays the same bytes, the string is another one.
func nonCanonical(t *testing.T, token string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, token[len(token)-1])
	require.GreaterOrEqual(t, last, 0)
	out := token[:len(token)-1] + string(alphabet[last^1])
	sig := func(tok string) []byte {
		parts := strings.Split(tok, ".")
		b, err := base64.RawURLEncoding.DecodeString(parts[2])
		require.NoError(t, err)
		return b
	}
	require.Equal(t, sig(token), sig(out), "a lenient decoder reads the same signature")
	return out
}
