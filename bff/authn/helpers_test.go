package authn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
)

// testClock is a settable clock.
type testClock struct{ now atomic.Int64 }

func newClock(t time.Time) *testClock {
	c := &testClock{}
	c.Set(t)
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.now.Load()) }
func (c *testClock) Set(t time.Time)         { c.now.Store(t.UnixNano()) }
func (c *testClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// keySource is a fake auth service JWKS that counts fetches.
type keySource struct {
	mu      sync.Mutex
	set     jwk.Set
	fetches int
	fail    error
}

func (s *keySource) JWKS(context.Context, auth.JWKSRequest) (auth.JWKSResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetches++
	if s.fail != nil {
		return auth.JWKSResponse{}, s.fail
	}
	doc, err := json.Marshal(s.set)
	if err != nil {
		return auth.JWKSResponse{}, err
	}
	var resp auth.JWKSResponse
	err = json.Unmarshal(doc, &resp)
	return resp, err
}

func (s *keySource) publish(keys ...jwk.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		_ = s.set.AddKey(k)
	}
}

func (s *keySource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// signingKey is an Ed25519 key pair as auth makes them.
type signingKey struct {
	priv, pub jwk.Key
	rawPub    ed25519.PublicKey
}

func newSigningKey(t *testing.T, kid string) signingKey {
	t.Helper()
	pubRaw, privRaw, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	priv, err := jwk.FromRaw(privRaw)
	require.NoError(t, err)
	pub, err := jwk.FromRaw(pubRaw)
	require.NoError(t, err)
	for _, k := range []jwk.Key{priv, pub} {
		if kid != "" {
			require.NoError(t, k.Set(jwk.KeyIDKey, kid))
		}
		require.NoError(t, k.Set(jwk.AlgorithmKey, jwa.EdDSA))
	}
	return signingKey{priv: priv, pub: pub, rawPub: pubRaw}
}

// claims are the token contents a test varies.
type claims struct {
	issuer, audience, subject, role string
	issuedAt, expires, notBefore    time.Time
	noExp                           bool
}

func validClaims(now time.Time) claims {
	return claims{
		issuer: auth.Issuer, audience: auth.Audience, subject: "user-1", role: "VIEWER",
		issuedAt: now.Truncate(time.Second), expires: now.Add(auth.AccessTokenTTL),
	}
}

func (c claims) token(t *testing.T) jwt.Token {
	t.Helper()
	b := jwt.NewBuilder().IssuedAt(c.issuedAt).JwtID("jti-1")
	if c.issuer != "" {
		b = b.Issuer(c.issuer)
	}
	if c.audience != "" {
		b = b.Audience([]string{c.audience})
	}
	if c.subject != "" {
		b = b.Subject(c.subject)
	}
	if c.role != "" {
		b = b.Claim(auth.ClaimRole, c.role)
	}
	if !c.noExp {
		b = b.Expiration(c.expires)
	}
	if !c.notBefore.IsZero() {
		b = b.NotBefore(c.notBefore)
	}
	tok, err := b.Build()
	require.NoError(t, err)
	return tok
}

func sign(t *testing.T, key signingKey, c claims) string {
	t.Helper()
	signed, err := jwt.Sign(c.token(t), jwt.WithKey(jwa.EdDSA, key.priv))
	require.NoError(t, err)
	return string(signed)
}
