package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// DefaultAdminName is the display name EnsureAdmin gives a new admin when
// the request has none.
const DefaultAdminName = "Admin"

// EnsureAdmin makes sure an admin account with the email and password
// exists: it creates one, or promotes the existing account and resets its
// password when the password differs. It is idempotent: when the account is
// already an admin with that password nothing is written, published or
// revoked, so main can call it at every start. A promotion publishes
// EventRoleChanged, a reset ends the account's sessions; both publish
// EventTokensRevoked. The display name of an existing account is kept.
//
// It takes no caller: it is for bootstrap (main, a CLI). Expose it only on
// the service's own invocation port, never through the BFF.
//
// Errors: KindInvalid for a bad email, password or display name.
func (s *Service) EnsureAdmin(ctx context.Context, req EnsureAdminRequest) (EnsureAdminResponse, error) {
	name := req.DisplayName
	if strings.TrimSpace(name) == "" {
		name = DefaultAdminName
	}
	acc, err := validateAccount(req.Email, req.Password, name, platform.RoleAdmin)
	if err != nil {
		return EnsureAdminResponse{}, op("EnsureAdmin", err)
	}
	for range 3 {
		u, _, err := s.userByEmail(ctx, acc.email)
		if platform.Is(err, platform.KindNotFound) {
			u, _, err = s.createUser(ctx, acc, false)
			if errors.Is(err, errEmailTaken) {
				continue // registered meanwhile: promote it instead
			}
			if err != nil {
				return EnsureAdminResponse{}, op("EnsureAdmin", err)
			}
			return EnsureAdminResponse{User: u.public(), Created: true}, nil
		}
		if err != nil {
			return EnsureAdminResponse{}, op("EnsureAdmin", err)
		}
		if u, err = s.promote(ctx, u.ID, acc.password); err != nil {
			return EnsureAdminResponse{}, op("EnsureAdmin", err)
		}
		return EnsureAdminResponse{User: u.public()}, nil
	}
	// The email is reserved but its account is missing: a corrupted state.
	return EnsureAdminResponse{}, op("EnsureAdmin", platform.Errorf(platform.KindInternal, "email %s is reserved by a missing account", acc.email))
}

// promote makes the account an admin with the password, writing only what
// differs.
func (s *Service) promote(ctx context.Context, id, password string) (userRecord, error) {
	var u userRecord
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var etag string
		var err error
		if u, etag, err = s.getUser(ctx, id); err != nil {
			return err
		}
		ok, _, err := s.hasher.verify(ctx, u.PasswordHash, password)
		if err != nil {
			return err
		}
		if ok && u.Role == platform.RoleAdmin {
			return nil
		}
		if u.Role != platform.RoleAdmin {
			if err := s.changeRole(ctx, b, &u, platform.RoleAdmin); err != nil {
				return err
			}
		}
		if !ok {
			hash, err := s.hasher.hash(ctx, password)
			if err != nil {
				return err
			}
			s.resetPassword(b, &u, hash, reasonPasswordReset, s.clock())
		}
		b.Set(userPrefix+u.ID, u, etag, false)
		return s.recordRevocations(ctx, b)
	})
	return u, err
}
