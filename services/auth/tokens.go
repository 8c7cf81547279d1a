package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/dflix/dflix/services/platform"
)

// signAccessToken issues a JWT for u: iss, aud, sub, iat, nbf, exp, jti and
// the role and email claims, signed by the newest key with its kid in the
// header. Times are whole seconds (JWT NumericDate), so the returned expiry
// equals the exp claim.
func (s *Service) signAccessToken(ctx context.Context, u userRecord, now time.Time) (string, time.Time, error) {
	key, err := s.signer(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	iat := now.Truncate(time.Second)
	exp := iat.Add(s.cfg.AccessTokenTTL)
	tok, err := jwt.NewBuilder().
		Issuer(Issuer).
		Audience([]string{Audience}).
		Subject(u.ID).
		IssuedAt(iat).
		NotBefore(iat).
		Expiration(exp).
		JwtID(uuid.NewString()).
		Claim(ClaimRole, string(u.Role)).
		Claim(ClaimEmail, u.Email).
		Build()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("build access token: %w", err)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(signingAlg, key.priv))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign access token: %w", err)
	}
	return string(signed), exp, nil
}

// Refresh tokens are 32 random bytes in unpadded base64url. Only their
// SHA-256 is stored, so a leaked state does not leak usable tokens.
const refreshTokenBytes = 32

const (
	refreshPrefix = "refresh/"
	familyPrefix  = "family/"
)

// refreshRecord is one refresh token, stored at "refresh/<sha256 hex>".
type refreshRecord struct {
	UserID    string    `json:"userId"`
	FamilyID  string    `json:"familyId"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	// RotatedTo is the hash of the token that replaced this one; a token
	// presented again after rotation is a reuse.
	RotatedTo string    `json:"rotatedTo,omitempty"`
	RotatedAt time.Time `json:"rotatedAt,omitzero"`
}

// familyRecord is one sign-in and every token rotated from it, stored at
// "family/<id>". Epoch is the user's session epoch when the family started;
// bumping the user's epoch revokes all of their families at once.
type familyRecord struct {
	UserID        string    `json:"userId"`
	Epoch         int64     `json:"epoch"`
	CreatedAt     time.Time `json:"createdAt"`
	LastUsedAt    time.Time `json:"lastUsedAt"`
	Revoked       bool      `json:"revoked,omitempty"`
	RevokedAt     time.Time `json:"revokedAt,omitzero"`
	RevokedReason string    `json:"revokedReason,omitempty"`
}

// newRefreshToken returns a fresh token and the hash it is stored under.
func newRefreshToken() (token, hash string, err error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("generate refresh token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// startSession adds a new token family for u to b and returns the session
// the client gets once b commits.
func (s *Service) startSession(ctx context.Context, b *platform.Batch, u userRecord, now time.Time) (Session, error) {
	familyID := uuid.NewString()
	b.Set(familyPrefix+familyID, familyRecord{UserID: u.ID, Epoch: u.SessionEpoch, CreatedAt: now, LastUsedAt: now}, "", true)
	sess, _, err := s.issueRefresh(ctx, b, u, familyID, now)
	return sess, err
}

// issueRefresh adds a new refresh token of the family to b and signs the
// access token that goes with it. It also returns the new token's hash.
func (s *Service) issueRefresh(ctx context.Context, b *platform.Batch, u userRecord, familyID string, now time.Time) (Session, string, error) {
	token, hash, err := newRefreshToken()
	if err != nil {
		return Session{}, "", err
	}
	rec := refreshRecord{UserID: u.ID, FamilyID: familyID, IssuedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTokenTTL)}
	b.Set(refreshPrefix+hash, rec, "", true)
	access, exp, err := s.signAccessToken(ctx, u, now)
	if err != nil {
		return Session{}, "", err
	}
	return Session{AccessToken: access, RefreshToken: token, ExpiresAt: exp, User: u.public()}, hash, nil
}

// revokedBefore is the NotBefore of a TokensRevoked event raised at now:
// whole seconds like the iat claim, so a token issued right after the
// revocation (same second) stays valid.
func revokedBefore(now time.Time) time.Time { return now.Truncate(time.Second) }
