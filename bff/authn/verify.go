package authn

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// DefaultSkew is the clock skew tolerated on exp, nbf and iat.
const DefaultSkew = 30 * time.Second

// Verifier checks access tokens against the auth service's keys and the
// revocations seen so far.
type Verifier struct {
	keys        *Keys
	revocations *Revocations
	clock       platform.Clock
	skew        time.Duration
}

// NewVerifier returns a verifier; a zero skew takes DefaultSkew.
func NewVerifier(keys *Keys, revocations *Revocations, clock platform.Clock, skew time.Duration) *Verifier {
	if skew <= 0 {
		skew = DefaultSkew
	}
	return &Verifier{keys: keys, revocations: revocations, clock: clock, skew: skew}
}

// Verify checks a compact JWT: a kid naming a key of the auth service, the
// algorithm of that key, a valid signature, exp (required), nbf, iss ==
// auth.Issuer, aud containing auth.Audience, a subject, a known role and no
// revocation since it was issued.
//
// Errors: KindUnauthenticated for any token that fails a check;
// KindUnavailable when the auth keys cannot be fetched, or the revocations
// auth still lists have not been loaded yet and cannot be now.
func (v *Verifier) Verify(ctx context.Context, token string) (Identity, error) {
	kid, alg, err := header(token)
	if err != nil {
		return Identity{}, err
	}
	key, err := v.keys.Lookup(ctx, kid)
	if err != nil {
		return Identity{}, err
	}
	want, err := keyAlgorithm(key)
	if err != nil {
		return Identity{}, unauthenticated("access token key is not usable", err)
	}
	if alg != want {
		return Identity{}, unauthenticated("access token algorithm does not match its key", fmt.Errorf("alg %q, key wants %q", alg, want))
	}
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKey(want, key),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(v.clock)),
		jwt.WithAcceptableSkew(v.skew),
		jwt.WithIssuer(auth.Issuer),
		jwt.WithAudience(auth.Audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
	)
	if err != nil {
		return Identity{}, unauthenticated("invalid access token", err)
	}
	id, err := identity(tok)
	if err != nil {
		return Identity{}, err
	}
	if err := v.revocations.Ready(ctx); err != nil {
		return Identity{}, err
	}
	return id, v.Check(id)
}

// Check re-checks a verified identity: not expired and not revoked since.
// Long-lived connections (websockets) call it before each operation.
//
// Errors: KindUnauthenticated.
func (v *Verifier) Check(id Identity) error {
	if v.clock().After(id.ExpiresAt.Add(v.skew)) {
		return unauthenticated("access token expired", nil)
	}
	return v.revocations.Check(id.Caller.UserID, id.IssuedAt)
}

// header reads kid and alg from the token's only signature, without
// trusting either yet.
func header(token string) (string, jwa.SignatureAlgorithm, error) {
	if err := canonicalCompact(token); err != nil {
		return "", "", unauthenticated("malformed access token", err)
	}
	msg, err := jws.Parse([]byte(token))
	if err != nil {
		return "", "", unauthenticated("malformed access token", err)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return "", "", unauthenticated("malformed access token", fmt.Errorf("%d signatures", len(sigs)))
	}
	h := sigs[0].ProtectedHeaders()
	if h.KeyID() == "" {
		return "", "", unauthenticated("access token has no key id", nil)
	}
	return h.KeyID(), h.Algorithm(), nil
}

// canonicalCompact accepts only the compact serialization auth issues,
// each part in canonical unpadded base64url. The decoder under jws.Parse
// ignores the unused low bits of a last character, so without this check
// several strings (a signature's last character changed) would verify as
// the same token, and anything keyed by the token string could be dodged.
func canonicalCompact(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("%d parts, want 3", len(parts))
	}
	for i, p := range parts {
		// An empty signature (alg none) is refused by the algorithm check,
		// which says why.
		if p == "" && i < 2 {
			return fmt.Errorf("part %d is empty", i+1)
		}
		if _, err := base64.RawURLEncoding.Strict().DecodeString(p); err != nil {
			return fmt.Errorf("part %d: %w", i+1, err)
		}
	}
	return nil
}

// keyAlgorithm is the one algorithm a key verifies: its own alg, or the
// one its type implies. Symmetric keys never verify.
func keyAlgorithm(key jwk.Key) (jwa.SignatureAlgorithm, error) {
	implied, err := impliedAlgorithm(key)
	if err != nil {
		return "", err
	}
	if a := key.Algorithm().String(); a != "" && a != implied.String() {
		declared := jwa.SignatureAlgorithm(a)
		if !compatible(key, declared) {
			return "", fmt.Errorf("key %q declares alg %q that does not fit its type", key.KeyID(), a)
		}
		return declared, nil
	}
	return implied, nil
}

func impliedAlgorithm(key jwk.Key) (jwa.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case jwk.OKPPublicKey:
		if k.Crv() == jwa.Ed25519 {
			return jwa.EdDSA, nil
		}
	case jwk.RSAPublicKey:
		return jwa.RS256, nil
	case jwk.ECDSAPublicKey:
		switch k.Crv() {
		case jwa.P256:
			return jwa.ES256, nil
		case jwa.P384:
			return jwa.ES384, nil
		case jwa.P521:
			return jwa.ES512, nil
		}
	}
	return "", fmt.Errorf("key %q of type %s cannot verify", key.KeyID(), key.KeyType())
}

func compatible(key jwk.Key, alg jwa.SignatureAlgorithm) bool {
	switch key.(type) {
	case jwk.RSAPublicKey:
		switch alg {
		case jwa.RS256, jwa.RS384, jwa.RS512, jwa.PS256, jwa.PS384, jwa.PS512:
			return true
		}
	}
	return false
}

// identity reads the claims the BFF relies on.
func identity(tok jwt.Token) (Identity, error) {
	roleClaim, _ := tok.Get(auth.ClaimRole)
	role, _ := roleClaim.(string)
	switch platform.Role(role) {
	case platform.RoleAdmin, platform.RoleViewer:
	default:
		return Identity{}, unauthenticated("access token has no valid role", nil)
	}
	email, _ := tok.Get(auth.ClaimEmail)
	emailStr, _ := email.(string)
	return Identity{
		Caller:    platform.Caller{UserID: tok.Subject(), Role: platform.Role(role)},
		Email:     emailStr,
		TokenID:   tok.JwtID(),
		IssuedAt:  tok.IssuedAt(),
		ExpiresAt: tok.Expiration(),
	}, nil
}

func unauthenticated(msg string, cause error) error {
	return platform.E(platform.KindUnauthenticated, msg, cause)
}
