package auth

import (
	"context"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Reasons carried by TokensRevoked events and revoked families.
const (
	reasonLogout          = "logout"
	reasonReuse           = "refresh-token-reused"
	reasonPasswordChanged = "password-changed"
	reasonPasswordReset   = "password-reset"
	reasonRoleChanged     = "role-changed"
	reasonUserDeleted     = "user-deleted"
)

var (
	errBadRefresh     = platform.E(platform.KindUnauthenticated, "invalid refresh token", nil)
	errExpiredRefresh = platform.E(platform.KindUnauthenticated, "refresh token expired", nil)
	errRevokedSession = platform.E(platform.KindUnauthenticated, "session revoked, sign in again", nil)
	errReusedRefresh  = platform.E(platform.KindUnauthenticated, "refresh token reused, session revoked", nil)
)

// Refresh exchanges a refresh token for a new session: a new access token
// with the user's current role and a new refresh token of the same family;
// the presented token is spent. Presenting a spent token again revokes the
// whole family (both the reused and the newest token stop working) and
// publishes EventTokensRevoked for the user.
//
// Errors: KindInvalid for an empty token; KindUnauthenticated for an
// unknown, expired, spent or revoked token or a deleted user.
func (s *Service) Refresh(ctx context.Context, req RefreshRequest) (RefreshResponse, error) {
	if req.RefreshToken == "" {
		return RefreshResponse{}, op("Refresh", platform.E(platform.KindInvalid, "refresh token is required", nil))
	}
	hash := hashToken(req.RefreshToken)
	var sess Session
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var err error
		sess, err = s.rotate(ctx, b, hash, s.clock())
		return err
	})
	if err != nil {
		return RefreshResponse{}, op("Refresh", err)
	}
	return RefreshResponse{Session: sess}, nil
}

// rotate is one attempt of Refresh.
func (s *Service) rotate(ctx context.Context, b *platform.Batch, hash string, now time.Time) (Session, error) {
	var rec refreshRecord
	recTag, err := platform.GetJSON(ctx, s.state, refreshPrefix+hash, "", &rec)
	if err != nil {
		return Session{}, unauthenticatedIfMissing(err, errBadRefresh)
	}
	var fam familyRecord
	famTag, err := platform.GetJSON(ctx, s.state, familyPrefix+rec.FamilyID, "", &fam)
	switch {
	case err != nil:
		return Session{}, unauthenticatedIfMissing(err, errBadRefresh)
	case fam.Revoked:
		return Session{}, errRevokedSession
	case rec.RotatedTo != "":
		s.revokeFamily(b, rec.FamilyID, fam, famTag, reasonReuse, now)
		b.Emit(s.event(EventTokensRevoked, now, TokensRevoked{UserID: rec.UserID, NotBefore: revokedBefore(now), Reason: reasonReuse}))
		if err := s.recordRevocations(ctx, b); err != nil {
			return Session{}, err
		}
		if err := s.outbox.Commit(ctx, b); err != nil {
			return Session{}, err
		}
		s.log.WarnContext(ctx, "auth: refresh token reused; family revoked", "user_id", rec.UserID, "family_id", rec.FamilyID)
		return Session{}, errReusedRefresh
	case !now.Before(rec.ExpiresAt):
		return Session{}, errExpiredRefresh
	}
	u, _, err := s.getUser(ctx, rec.UserID)
	if err != nil {
		return Session{}, unauthenticatedIfMissing(err, errRevokedSession)
	}
	if u.SessionEpoch != fam.Epoch {
		return Session{}, errRevokedSession
	}
	sess, next, err := s.issueRefresh(ctx, b, u, rec.FamilyID, now)
	if err != nil {
		return Session{}, err
	}
	rec.RotatedTo, rec.RotatedAt = next, now
	fam.LastUsedAt = now
	b.Set(refreshPrefix+hash, rec, recTag, false)
	b.Set(familyPrefix+rec.FamilyID, fam, famTag, false)
	return sess, nil
}

// Logout ends the session the refresh token belongs to: its family is
// revoked, so neither it nor any token rotated from it refreshes again.
// Access tokens already issued stay valid until they expire (at most
// Config.AccessTokenTTL); clients drop them. Logging out an ended session
// succeeds.
//
// Errors: KindInvalid for an empty token; KindUnauthenticated for a token
// auth never issued.
func (s *Service) Logout(ctx context.Context, req LogoutRequest) (LogoutResponse, error) {
	if req.RefreshToken == "" {
		return LogoutResponse{}, op("Logout", platform.E(platform.KindInvalid, "refresh token is required", nil))
	}
	hash := hashToken(req.RefreshToken)
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var rec refreshRecord
		if _, err := platform.GetJSON(ctx, s.state, refreshPrefix+hash, "", &rec); err != nil {
			return unauthenticatedIfMissing(err, errBadRefresh)
		}
		var fam familyRecord
		famTag, err := platform.GetJSON(ctx, s.state, familyPrefix+rec.FamilyID, "", &fam)
		if platform.Is(err, platform.KindNotFound) || (err == nil && fam.Revoked) {
			return nil
		}
		if err != nil {
			return err
		}
		s.revokeFamily(b, rec.FamilyID, fam, famTag, reasonLogout, s.clock())
		return nil
	})
	if err != nil {
		return LogoutResponse{}, op("Logout", err)
	}
	return LogoutResponse{}, nil
}

// revokeFamily adds the revocation of a token family to b.
func (s *Service) revokeFamily(b *platform.Batch, id string, fam familyRecord, etag, reason string, now time.Time) {
	fam.Revoked, fam.RevokedAt, fam.RevokedReason = true, now, reason
	b.Set(familyPrefix+id, fam, etag, false)
}

// unauthenticatedIfMissing turns a KindNotFound into the given
// unauthenticated error, so a bad token never tells what was missing.
func unauthenticatedIfMissing(err, unauthenticated error) error {
	if platform.Is(err, platform.KindNotFound) {
		return unauthenticated
	}
	return err
}
