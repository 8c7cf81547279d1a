package authn_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// fuzzKey is an Ed25519 key pair with kid "k1", as auth makes them.
func fuzzKey(f *testing.F) (priv, pub jwk.Key, rawPub ed25519.PublicKey) {
	rawPub, rawPriv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(f, err)
	priv, err = jwk.FromRaw(rawPriv)
	require.NoError(f, err)
	pub, err = jwk.FromRaw(rawPub)
	require.NoError(f, err)
	for _, k := range []jwk.Key{priv, pub} {
		require.NoError(f, k.Set(jwk.KeyIDKey, "k1"))
		require.NoError(f, k.Set(jwk.AlgorithmKey, jwa.EdDSA))
	}
	return priv, pub, rawPub
}

// fuzzSign signs claims with key as alg, with the header kid "k1".
func fuzzSign(f *testing.F, alg jwa.SignatureAlgorithm, key any, c claims) string {
	b := jwt.NewBuilder().IssuedAt(c.issuedAt).Issuer(c.issuer).Audience([]string{c.audience}).
		Subject(c.subject).Claim(auth.ClaimRole, c.role)
	if !c.noExp {
		b = b.Expiration(c.expires)
	}
	tok, err := b.Build()
	require.NoError(f, err)
	hdr := jws.NewHeaders()
	require.NoError(f, hdr.Set(jws.KeyIDKey, "k1"))
	signed, err := jwt.Sign(tok, jwt.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	require.NoError(f, err)
	return string(signed)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// FuzzVerify feeds the access token verifier arbitrary strings, starting
// from valid tokens and known attacks (alg none, an HMAC keyed with the
// public key, a wrong issuer, no expiry, JSON serialization). A token is
// either refused with KindUnauthenticated (401), never an internal error,
// or verifies to the one subject and role it was signed for; and changing
// any one byte of a valid token makes it fail.
func FuzzVerify(f *testing.F) {
	now := t0
	priv, pub, rawPub := fuzzKey(f)
	src := &keySource{set: jwk.NewSet()}
	src.publish(pub)
	clock := func() time.Time { return now }
	verifier := authn.NewVerifier(authn.NewKeys(src, clock, time.Hour, 24*time.Hour), authn.NewRevocations(clock, time.Hour, nil), clock, 30*time.Second)
	valid := fuzzSign(f, jwa.EdDSA, priv, validClaims(now))
	_, err := verifier.Verify(context.Background(), valid)
	require.NoError(f, err)

	wrongIssuer := validClaims(now)
	wrongIssuer.issuer = "https://evil.example"
	noExp := validClaims(now)
	noExp.noExp = true
	hmacSigned := fuzzSign(f, jwa.HS256, []byte(rawPub), validClaims(now))
	unsigned, err := json.Marshal(map[string]any{"alg": "none", "kid": "k1"})
	require.NoError(f, err)
	for _, tok := range []string{
		valid, hmacSigned, fuzzSign(f, jwa.EdDSA, priv, wrongIssuer), fuzzSign(f, jwa.EdDSA, priv, noExp),
		b64url(unsigned) + "." + b64url([]byte(`{"sub":"user-1","role":"ADMIN","exp":9999999999}`)) + ".",
		`{"payload":"e30","signatures":[]}`, "", ".", "..", "a.b.c", "Bearer " + valid, valid + "." + valid,
	} {
		f.Add(tok, 0, byte(0))
		f.Add(tok, -1, byte('A'))
	}
	f.Fuzz(func(t *testing.T, token string, at int, b byte) {
		ctx := context.Background()
		for _, tok := range []string{token, mutate(token, at, b)} {
			id, err := verifier.Verify(ctx, tok)
			if err != nil {
				require.Equal(t, platform.KindUnauthenticated, platform.KindOf(err), "%v", err)
				continue
			}
			require.Equal(t, "user-1", id.Caller.UserID)
			require.Equal(t, platform.RoleViewer, id.Caller.Role)
			if tok == token {
				mutated := mutate(tok, at, b)
				_, err := verifier.Verify(ctx, mutated)
				require.Error(t, err, "%q verifies, changed from %q", mutated, tok)
			}
		}
	})
}

// FuzzRevocationEvent feeds the revocation set arbitrary auth events. A
// payload is applied, acknowledged or dropped to the dead-letter topic,
// never retried forever; handling the same event again changes nothing;
// and a user whose tokens were revoked has the tokens issued before that
// refused.
func FuzzRevocationEvent(f *testing.F) {
	for _, seed := range []struct{ typ, data string }{
		{auth.EventTokensRevoked, `{"userId":"u-1","notBefore":"2025-03-01T12:00:00Z"}`},
		{auth.EventUserDeleted, `{"userId":"u-1"}`},
		{auth.EventTokensRevoked, `{"userId":"","notBefore":"2025-03-01T12:00:00Z"}`},
		{auth.EventTokensRevoked, `{"userId":"u-1","notBefore":"0001-01-01T00:00:00Z"}`},
		{auth.EventTokensRevoked, `{"userId":"u-1","notBefore":"not a time"}`},
		{auth.EventUserDeleted, `[]`},
		{auth.EventUserDeleted, `null`},
		{"user.registered", `{`},
	} {
		f.Add(seed.typ, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		ctx := context.Background()
		clock := func() time.Time { return t0 }
		rev := authn.NewRevocations(clock, time.Hour, nil)
		ev := platform.Event{ID: "e-1", Type: typ, Source: "auth", Topic: auth.Topic, Time: t0, Data: data}
		err := rev.Handle(ctx, ev)
		if err != nil {
			require.True(t, platform.IsDrop(err), "a payload error must go to the dead letters: %v", err)
			return
		}
		probe := []time.Time{t0.Add(-2 * time.Hour), t0.Add(-time.Minute), t0, t0.Add(time.Hour)}
		before := checks(rev, probe)
		require.NoError(t, rev.Handle(ctx, ev))
		require.Equal(t, before, checks(rev, probe), "a redelivered event changed the set")
		if typ != auth.EventTokensRevoked {
			return
		}
		var p auth.TokensRevoked
		require.NoError(t, json.Unmarshal(data, &p))
		if p.UserID != "" && p.NotBefore.After(t0.Add(-time.Hour)) {
			require.Error(t, rev.Check(p.UserID, p.NotBefore.Add(-time.Second)))
		}
	})
}

// checks is whether user "u-1"'s tokens issued at each instant pass.
func checks(rev *authn.Revocations, at []time.Time) []bool {
	out := make([]bool, len(at))
	for i, t := range at {
		out[i] = rev.Check("u-1", t) == nil
	}
	return out
}

// mutate changes the byte of s at position at (modulo its length) to b, or
// the next byte value when it is b already.
func mutate(s string, at int, b byte) string {
	if s == "" {
		return string(b)
	}
	i := ((at % len(s)) + len(s)) % len(s)
	out := []byte(s)
	if out[i] == b {
		b++
	}
	out[i] = b
	return string(out)
}
