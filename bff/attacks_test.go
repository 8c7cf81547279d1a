package bff_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform"
)

// attack is one forged, stale or replayed credential and what it is sent to.
type attack struct {
	name string
	// token is the bearer of `{ me { id } }`; empty when send is set.
	token func(t *testing.T, s *stack) string
	// send makes a request of its own (refresh tokens go to refreshToken).
	send func(t *testing.T, s *stack) gqlResult
}

// TestAttacksRefused sends each attack through a real BFF wired to a real
// auth service and expects UNAUTHENTICATED without data. Valid tokens first
// show that good credentials get through: one from auth, and one signed by
// the test key the BFF trusts beside auth's, which the claim attacks use.
func TestAttacksRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	res := s.do(t, s.viewer.token, `{ me { id } }`, nil)
	require.Empty(t, res.Errors, "control: a valid token is accepted: %s", res.String())
	res = s.do(t, signMap(t, s.testKey, viewerClaims(s)), `{ me { id } }`, nil)
	require.Empty(t, res.Errors, "control: the forgeries below differ from an accepted token only by their attack: %s", res.String())

	attacks := tokenAttacks()
	attacks = append(attacks, revocationAttacks()...)
	attacks = append(attacks, refreshReplayAttacks(t, s)...)
	refused := 0
	for _, a := range attacks {
		ok := t.Run(a.name, func(t *testing.T) {
			var res gqlResult
			if a.send != nil {
				res = a.send(t, s)
			} else {
				res = s.do(t, a.token(t, s), `{ me { id } }`, nil)
			}
			require.Equal(t, bff.CodeUnauthenticated, res.code(), res.String())
			for field, v := range res.Data {
				assert.Equal(t, "null", string(v), "no data for %s", field)
			}
		})
		if ok {
			refused++
		}
	}
	t.Logf("attacks refused: %d of %d", refused, len(attacks))
	assert.Equal(t, len(attacks), refused)
}

func tokenAttacks() []attack {
	return []attack{
		{name: "alg none", token: func(t *testing.T, s *stack) string {
			return unsignedToken(t, s.authKID(), claimsFor(s.viewer.id, "ADMIN"))
		}},
		{name: "HS256 signed with the public key bytes", token: func(t *testing.T, s *stack) string {
			return hmacSigned(t, s.authKID(), s.authPublicKey(t), viewerClaims(s))
		}},
		{name: "HS256 signed with the public JWK", token: func(t *testing.T, s *stack) string {
			return hmacSigned(t, s.authKID(), s.authJWK(t), viewerClaims(s))
		}},
		{name: "unknown kid", token: func(t *testing.T, s *stack) string {
			return signMap(t, newTestKey(t, "kid-nobody-published"), viewerClaims(s))
		}},
		{name: "another key reusing auth's kid", token: func(t *testing.T, s *stack) string {
			return signMap(t, newTestKey(t, s.authKID()), viewerClaims(s))
		}},
		{name: "expired", token: func(t *testing.T, s *stack) string {
			c := viewerClaims(s)
			c[jwt.IssuedAtKey], c[jwt.ExpirationKey] = time.Now().Add(-time.Hour).Unix(), time.Now().Add(-10*time.Minute).Unix()
			return signMap(t, s.testKey, c)
		}},
		{name: "expired, issued by auth", token: func(t *testing.T, s *stack) string {
			s.authSkew.Store(int64(-auth.AccessTokenTTL - 5*time.Minute))
			defer s.authSkew.Store(0)
			return s.login(viewerEmail).token
		}},
		{name: "not yet valid (nbf in the future)", token: func(t *testing.T, s *stack) string {
			c := viewerClaims(s)
			c[jwt.NotBeforeKey] = time.Now().Add(10 * time.Minute).Unix()
			return signMap(t, s.testKey, c)
		}},
		{name: "missing exp", token: func(t *testing.T, s *stack) string {
			c := viewerClaims(s)
			delete(c, jwt.ExpirationKey)
			return signMap(t, s.testKey, c)
		}},
		{name: "wrong iss", token: func(t *testing.T, s *stack) string {
			c := viewerClaims(s)
			c[jwt.IssuerKey] = "https://evil.example"
			return signMap(t, s.testKey, c)
		}},
		{name: "wrong aud", token: func(t *testing.T, s *stack) string {
			c := viewerClaims(s)
			c[jwt.AudienceKey] = []string{"another-app"}
			return signMap(t, s.testKey, c)
		}},
		{name: "tampered payload (role viewer to admin)", token: func(t *testing.T, s *stack) string {
			return withClaim(t, s.login(viewerEmail).token, auth.ClaimRole, "ADMIN")
		}},
	}
}

// revocationAttacks replay access tokens issued before a revocation; each
// waits until the revocation event reached the BFF, which is when the
// token must be refused.
func revocationAttacks() []attack {
	revoked := func(revoke func(t *testing.T, s *stack, victim session)) func(t *testing.T, s *stack) string {
		return func(t *testing.T, s *stack) string {
			victim := s.registerVictim("revoked")
			require.Empty(t, s.do(t, victim.token, `{ me { id } }`, nil).Errors)
			revoke(t, s, victim)
			require.Eventually(t, func() bool {
				return s.do(t, victim.token, `{ me { id } }`, nil).code() != ""
			}, 10*time.Second, 10*time.Millisecond, "the revocation reaches the BFF")
			return victim.token
		}
	}
	return []attack{
		{name: "revoked: every session ended (password changed)", token: revoked(func(t *testing.T, s *stack, v session) {
			_, err := s.auth.ChangePassword(t.Context(), auth.ChangePasswordRequest{
				Caller: platform.Caller{UserID: v.id, Role: platform.RoleViewer}, OldPassword: testPassword, NewPassword: "a brand new password"})
			require.NoError(t, err)
		})},
		{name: "revoked: role changed", token: revoked(func(t *testing.T, s *stack, v session) {
			_, err := s.auth.SetUserRole(t.Context(), auth.SetUserRoleRequest{Caller: s.adminCaller(), UserID: v.id, Role: platform.RoleAdmin})
			require.NoError(t, err)
		})},
		{name: "revoked: user deleted", token: revoked(func(t *testing.T, s *stack, v session) {
			_, err := s.auth.DeleteUser(t.Context(), auth.DeleteUserRequest{Caller: s.adminCaller(), UserID: v.id})
			require.NoError(t, err)
		})},
	}
}

// refreshReplayAttacks: a refresh token rotated once, then replayed. The
// replay is refused and revokes the family, so the token it was rotated to
// is refused as well.
func refreshReplayAttacks(t *testing.T, s *stack) []attack {
	t.Helper()
	const mutation = `mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken } }`
	victim := s.registerVictim("replay")
	var rotated string
	refresh := func(token string) func(t *testing.T, s *stack) gqlResult {
		return func(t *testing.T, s *stack) gqlResult {
			return s.do(t, "", mutation, map[string]any{"r": token})
		}
	}
	return []attack{
		{name: "refresh token replayed after rotation", send: func(t *testing.T, s *stack) gqlResult {
			res := refresh(victim.refresh)(t, s)
			require.Empty(t, res.Errors, "the first use rotates: %s", res.String())
			var out struct{ RefreshToken struct{ RefreshToken string } }
			res.decode(t, &out)
			rotated = out.RefreshToken.RefreshToken
			require.NotEmpty(t, rotated)
			return refresh(victim.refresh)(t, s)
		}},
		{name: "rotated-to refresh token after the replay", send: func(t *testing.T, s *stack) gqlResult {
			require.NotEmpty(t, rotated, "runs after the replay")
			return refresh(rotated)(t, s)
		}},
	}
}

// viewerClaims are valid claims for the stack's viewer, as a map to vary.
func viewerClaims(s *stack) map[string]any {
	now := time.Now()
	return map[string]any{
		jwt.IssuerKey: auth.Issuer, jwt.AudienceKey: []string{auth.Audience}, jwt.SubjectKey: s.viewer.id,
		jwt.IssuedAtKey: now.Unix(), jwt.ExpirationKey: now.Add(auth.AccessTokenTTL).Unix(), auth.ClaimRole: "VIEWER",
	}
}

// signMap signs the claims as they are (EdDSA) with key.
func signMap(t *testing.T, key testKey, claims map[string]any) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		require.NoError(t, tok.Set(k, v))
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA, key.priv))
	require.NoError(t, err)
	return string(signed)
}

// hmacSigned is the algorithm-confusion forgery: HS256 keyed with what the
// verifier publishes, hoping it verifies HMAC with the "key" it holds.
func hmacSigned(t *testing.T, kid string, secret []byte, claims map[string]any) string {
	t.Helper()
	input := b64JSON(t, map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid}) + "." + b64JSON(t, claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// withClaim rewrites one claim of a signed token and keeps its signature.
func withClaim(t *testing.T, token, claim string, value any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	require.Equal(t, "VIEWER", claims[claim], "tampering with a real viewer token")
	claims[claim] = value
	parts[1] = b64JSON(t, claims)
	return strings.Join(parts, ".")
}

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString(mustJSON(t, v))
}

// authJWK is auth's published signing key, as JSON.
func (s *stack) authJWK(t *testing.T) []byte {
	t.Helper()
	key := s.authKey(t)
	return mustJSON(t, key)
}

// authPublicKey is auth's Ed25519 public key, raw.
func (s *stack) authPublicKey(t *testing.T) []byte {
	t.Helper()
	var raw ed25519.PublicKey
	require.NoError(t, s.authKey(t).Raw(&raw))
	return raw
}

func (s *stack) authKey(t *testing.T) jwk.Key {
	t.Helper()
	resp, err := s.auth.JWKS(t.Context(), auth.JWKSRequest{})
	require.NoError(t, err)
	set, err := jwk.Parse(mustJSON(t, resp))
	require.NoError(t, err)
	key, ok := set.Key(0)
	require.True(t, ok)
	return key
}

// loginFrom signs in through /graphql from a connection at peer, naming
// client in X-Forwarded-For when it is not empty.
func (s *stack) loginFrom(t *testing.T, peer, client, email, password string) gqlResult {
	t.Helper()
	body := mustJSON(t, map[string]any{
		"query":     `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		"variables": map[string]any{"e": email, "p": password},
	})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.RemoteAddr = peer
	req.Header.Set("Content-Type", "application/json")
	if client != "" {
		req.Header.Set("X-Forwarded-For", client)
	}
	status, raw := s.send(t, req)
	res := gqlResult{status: status}
	require.NoError(t, json.Unmarshal(raw, &res), "body: %s", raw)
	return res
}

// edgeAnswer is what a client sees of a failed sign-in.
type edgeAnswer struct{ code, message, data string }

func answerOf(t *testing.T, res gqlResult) edgeAnswer {
	t.Helper()
	a := edgeAnswer{code: res.code(), data: string(mustJSON(t, res.Data))}
	if len(res.Errors) > 0 {
		a.message = res.Errors[0].Message
	}
	return a
}

// TestLoginNoEnumerationAtTheEdge: through GraphQL, an existing and an
// unknown account get the same code and message for a wrong password and,
// once over the per-account limit, the same RATE_LIMITED answer.
func TestLoginNoEnumerationAtTheEdge(t *testing.T) {
	s := newStack(t, stackOptions{})
	const peer = "203.0.113.10:4000"
	known := answerOf(t, s.loginFrom(t, peer, "", viewerEmail, "wrong horse battery"))
	assert.Equal(t, edgeAnswer{bff.CodeUnauthenticated, "invalid email or password", "null"}, known)
	assert.Equal(t, known, answerOf(t, s.loginFrom(t, peer, "", "nobody@dflix.test", "wrong horse battery")))

	for range auth.DefaultAccountLimit.Max - 1 {
		s.loginFrom(t, peer, "", viewerEmail, "wrong horse battery")
		s.loginFrom(t, peer, "", "nobody@dflix.test", "wrong horse battery")
	}
	limited := answerOf(t, s.loginFrom(t, peer, "", viewerEmail, testPassword))
	assert.Equal(t, edgeAnswer{bff.CodeRateLimited, "too many failed sign-in attempts; try again in 15 minutes", "null"}, limited)
	assert.Equal(t, limited, answerOf(t, s.loginFrom(t, peer, "", "nobody@dflix.test", testPassword)))
	assert.Empty(t, s.loginFrom(t, peer, "", adminEmail, testPassword).Errors, "other accounts sign in")
}

// TestLoginLimitPerClientAddress: behind a trusted proxy, the address in
// X-Forwarded-For is what auth counts, so one client over the limit does
// not lock out the others behind the same proxy; without trust the header
// is ignored and the peer is counted.
func TestLoginLimitPerClientAddress(t *testing.T) {
	s := newStack(t, stackOptions{cfg: bff.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}})
	const proxy = "10.0.0.2:443"
	for i := range auth.DefaultIPLimit.Max {
		res := s.loginFrom(t, proxy, "198.51.100.7", fmt.Sprintf("guess%d@dflix.test", i), "wrong horse battery")
		require.Equal(t, bff.CodeUnauthenticated, res.code(), res.String())
	}
	res := s.loginFrom(t, proxy, "198.51.100.7", viewerEmail, testPassword)
	assert.Equal(t, bff.CodeRateLimited, res.code(), res.String())
	res = s.loginFrom(t, proxy, "1.2.3.4, 198.51.100.7", viewerEmail, testPassword)
	assert.Equal(t, bff.CodeRateLimited, res.code(), "a spoofed left part changes nothing: %s", res.String())
	res = s.loginFrom(t, proxy, "198.51.100.8", viewerEmail, testPassword)
	assert.Empty(t, res.Errors, "another client behind the proxy: %s", res.String())
	res = s.loginFrom(t, "198.51.100.7:5000", "10.9.9.9", viewerEmail, testPassword)
	assert.Equal(t, bff.CodeRateLimited, res.code(), "an untrusted peer's header is ignored: %s", res.String())
}
