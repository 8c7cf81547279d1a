package bff_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
)

// extraKeys is the auth service with test keys added to its JWKS, so tests
// can sign tokens with claims the auth service would never issue.
type extraKeys struct {
	auth.API
	mu    sync.Mutex
	extra []jwk.Key
}

func (e *extraKeys) JWKS(ctx context.Context, req auth.JWKSRequest) (auth.JWKSResponse, error) {
	resp, err := e.API.JWKS(ctx, req)
	if err != nil {
		return resp, err
	}
	var keys []json.RawMessage
	if err := json.Unmarshal(resp.Keys, &keys); err != nil {
		return resp, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range e.extra {
		b, err := json.Marshal(k)
		if err != nil {
			return resp, err
		}
		keys = append(keys, b)
	}
	resp.Keys, err = json.Marshal(keys)
	return resp, err
}

// testKey is an Ed25519 signing key with a kid.
type testKey struct {
	priv, pub jwk.Key
}

func newTestKey(t testing.TB, kid string) testKey {
	t.Helper()
	pubRaw, privRaw, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	priv, err := jwk.FromRaw(privRaw)
	require.NoError(t, err)
	pub, err := jwk.FromRaw(pubRaw)
	require.NoError(t, err)
	for _, k := range []jwk.Key{priv, pub} {
		require.NoError(t, k.Set(jwk.KeyIDKey, kid))
		require.NoError(t, k.Set(jwk.AlgorithmKey, jwa.EdDSA))
	}
	return testKey{priv: priv, pub: pub}
}

// trust publishes the key in the JWKS the BFF sees.
func (e *extraKeys) trust(k testKey) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.extra = append(e.extra, k.pub)
}

type tokenClaims struct {
	issuer, audience, subject, role string
	issuedAt, expires               time.Time
}

func claimsFor(userID, role string) tokenClaims {
	now := time.Now()
	return tokenClaims{issuer: auth.Issuer, audience: auth.Audience, subject: userID, role: role,
		issuedAt: now.Truncate(time.Second), expires: now.Add(auth.AccessTokenTTL)}
}

func (c tokenClaims) build(t testing.TB) jwt.Token {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(c.issuer).Audience([]string{c.audience}).Subject(c.subject).
		IssuedAt(c.issuedAt).Expiration(c.expires).Claim(auth.ClaimRole, c.role).Build()
	require.NoError(t, err)
	return tok
}

func (k testKey) sign(t testing.TB, c tokenClaims) string {
	t.Helper()
	signed, err := jwt.Sign(c.build(t), jwt.WithKey(jwa.EdDSA, k.priv))
	require.NoError(t, err)
	return string(signed)
}

// unsignedToken is an alg=none token naming kid.
func unsignedToken(t testing.TB, kid string, c tokenClaims) string {
	t.Helper()
	header, err := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	require.NoError(t, err)
	payload, err := json.Marshal(c.build(t))
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
}

// authKID is the kid of the auth service's signing key.
func (s *stack) authKID() string {
	s.t.Helper()
	resp, err := s.auth.JWKS(context.Background(), auth.JWKSRequest{})
	require.NoError(s.t, err)
	set, err := jwk.Parse(mustJSON(s.t, resp))
	require.NoError(s.t, err)
	key, ok := set.Key(0)
	require.True(s.t, ok)
	return key.KeyID()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
