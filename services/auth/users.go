package auth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

const (
	userPrefix  = "user/"
	emailPrefix = "email/"
)

// userRecord is an account as stored at "user/<id>".
type userRecord struct {
	ID           string        `json:"id"`
	Email        string        `json:"email"`
	DisplayName  string        `json:"displayName"`
	Role         platform.Role `json:"role"`
	PasswordHash string        `json:"passwordHash"`
	CreatedAt    time.Time     `json:"createdAt"`
	UpdatedAt    time.Time     `json:"updatedAt"`
	// SessionEpoch is bumped to revoke every refresh-token family of the
	// user at once (families remember the epoch they started in).
	SessionEpoch int64 `json:"sessionEpoch"`
}

// emailRecord reserves an email for one account at "email/<email>".
type emailRecord struct {
	UserID string `json:"userId"`
}

func (u userRecord) public() User {
	return User{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Role: u.Role, CreatedAt: u.CreatedAt}
}

var (
	errBadCredentials = platform.E(platform.KindUnauthenticated, "invalid email or password", nil)
	errWrongPassword  = platform.E(platform.KindUnauthenticated, "current password is incorrect", nil)
	errAccountGone    = platform.E(platform.KindUnauthenticated, "account no longer exists", nil)
	errEmailTaken     = platform.E(platform.KindConflict, "email already registered", nil)
)

// getUser reads a user and its ETag (KindNotFound "user not found").
func (s *Service) getUser(ctx context.Context, id string) (userRecord, string, error) {
	var u userRecord
	etag, err := platform.GetJSON(ctx, s.state, userPrefix+id, "user not found", &u)
	return u, etag, err
}

// userByEmail finds the account of a normalized email (KindNotFound).
func (s *Service) userByEmail(ctx context.Context, email string) (userRecord, string, error) {
	var e emailRecord
	if _, err := platform.GetJSON(ctx, s.state, emailPrefix+email, "user not found", &e); err != nil {
		return userRecord{}, "", err
	}
	return s.getUser(ctx, e.UserID)
}

// emailFree returns errEmailTaken when an account holds the email.
func (s *Service) emailFree(ctx context.Context, email string) error {
	_, err := s.state.Get(ctx, emailPrefix+email)
	switch {
	case platform.Is(err, platform.KindNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("check email: %w", err)
	}
	return errEmailTaken
}

// newAccount is a validated registration.
type newAccount struct {
	email, name, password string
	role                  platform.Role
}

func validateAccount(email, password, name string, role platform.Role) (newAccount, error) {
	e, err := normalizeEmail(email)
	if err != nil {
		return newAccount{}, err
	}
	if err := checkPassword("password", password); err != nil {
		return newAccount{}, err
	}
	n, err := cleanDisplayName(name)
	if err != nil {
		return newAccount{}, err
	}
	return newAccount{email: e, name: n, password: password, role: role}, nil
}

// Register creates a viewer account and signs it in. It publishes
// EventUserRegistered.
//
// Errors: KindInvalid for a bad email, password or display name;
// KindConflict "email already registered" (emails compare case-insensitively),
// which counts as a failure of req.ClientIP; KindRateLimited while that
// address is over Config.IPLimit.
func (s *Service) Register(ctx context.Context, req RegisterRequest) (RegisterResponse, error) {
	acc, err := validateAccount(req.Email, req.Password, req.DisplayName, platform.RoleViewer)
	if err != nil {
		return RegisterResponse{}, op("Register", err)
	}
	// Only the address is limited: a taken email is what an address probing
	// for accounts through registration collects.
	now := s.clock()
	limits, err := s.limits.check(ctx, s.limits.address(req.ClientIP), now)
	if err != nil {
		return RegisterResponse{}, op("Register", err)
	}
	_, sess, err := s.createUser(ctx, acc, true)
	if errors.Is(err, errEmailTaken) {
		s.limits.fail(ctx, limits, now)
	}
	if err != nil {
		return RegisterResponse{}, op("Register", err)
	}
	return RegisterResponse{Session: sess}, nil
}

// createUser stores a new account (and a session when signIn), reserving
// its email in the same transaction. A taken email is errEmailTaken.
func (s *Service) createUser(ctx context.Context, acc newAccount, signIn bool) (userRecord, Session, error) {
	if err := s.emailFree(ctx, acc.email); err != nil {
		return userRecord{}, Session{}, err
	}
	hash, err := s.hasher.hash(ctx, acc.password)
	if err != nil {
		return userRecord{}, Session{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return userRecord{}, Session{}, fmt.Errorf("new user id: %w", err)
	}
	var u userRecord
	var sess Session
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		if err := s.emailFree(ctx, acc.email); err != nil {
			return err // taken by a racing registration (build errors are not retried)
		}
		now := s.clock()
		u = userRecord{ID: id.String(), Email: acc.email, DisplayName: acc.name, Role: acc.role,
			PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		if err := s.insertUser(ctx, b, u); err != nil {
			return err
		}
		if signIn {
			var err error
			if sess, err = s.startSession(ctx, b, u, now); err != nil {
				return err
			}
		}
		return nil
	})
	return u, sess, err
}

// insertUser adds a new account to b: the record and the email reservation
// (both IfAbsent), its id in the users set, the admins list for an admin,
// and EventUserRegistered.
func (s *Service) insertUser(ctx context.Context, b *platform.Batch, u userRecord) error {
	b.Set(userPrefix+u.ID, u, "", true)
	b.Set(emailPrefix+u.Email, emailRecord{UserID: u.ID}, "", true)
	b.Add(s.users.AddOps(ctx, u.ID))
	if u.Role == platform.RoleAdmin {
		admins, etag, err := s.readAdmins(ctx)
		if err != nil {
			return err
		}
		setAdmins(b, admins.with(u.ID), etag)
	}
	b.Emit(s.event(EventUserRegistered, u.CreatedAt, UserRegistered{User: u.public()}))
	return nil
}

// Login signs in with email and password and starts a new session.
// Failed sign-ins are counted per account and per req.ClientIP (see
// Config.AccountLimit and Config.IPLimit); a correct password clears the
// account's count.
//
// Errors: KindInvalid when email or password is empty; KindUnauthenticated
// "invalid email or password" for an unknown email or a wrong password
// (the same message and the same hashing work, so accounts cannot be
// probed); KindRateLimited "too many failed sign-in attempts; try again in
// N minutes" while the account or the address is over its limit, checked
// before the password, for existing and unknown accounts alike.
func (s *Service) Login(ctx context.Context, req LoginRequest) (LoginResponse, error) {
	if req.Email == "" || req.Password == "" {
		return LoginResponse{}, op("Login", platform.E(platform.KindInvalid, "email and password are required", nil))
	}
	now := s.clock()
	limits, err := s.limits.check(ctx, s.limits.subjects(req.Email, req.ClientIP), now)
	if err != nil {
		return LoginResponse{}, op("Login", err)
	}
	u, err := s.checkCredentials(ctx, req.Email, req.Password)
	if errors.Is(err, errBadCredentials) {
		s.limits.fail(ctx, limits, now)
	}
	if err != nil {
		return LoginResponse{}, op("Login", err)
	}
	sess, err := s.signIn(ctx, u)
	if err != nil {
		return LoginResponse{}, op("Login", err)
	}
	s.limits.succeed(ctx, limits)
	return LoginResponse{Session: sess}, nil
}

// checkCredentials authenticates a raw email; a malformed one costs the
// same hashing work as any other failure.
func (s *Service) checkCredentials(ctx context.Context, rawEmail, password string) (userRecord, error) {
	email, err := normalizeEmail(rawEmail)
	if err != nil {
		s.hasher.burn(ctx, password)
		return userRecord{}, errBadCredentials
	}
	return s.authenticate(ctx, email, password)
}

// signIn starts a session for the authenticated u, unless the account was
// deleted or its password changed since the check.
func (s *Service) signIn(ctx context.Context, u userRecord) (Session, error) {
	var sess Session
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		cur, _, err := s.getUser(ctx, u.ID)
		switch {
		case platform.Is(err, platform.KindNotFound):
			return errBadCredentials // deleted since the check
		case err != nil:
			return err
		case cur.PasswordHash != u.PasswordHash:
			return errBadCredentials // password changed since the check
		}
		if sess, err = s.startSession(ctx, b, cur, s.clock()); err != nil {
			return err
		}
		return nil
	})
	return sess, err
}

// authenticate verifies the password of the account with the email,
// burning the same time for an unknown email. A hash made with other
// parameters than the configured ones is remade (best effort).
func (s *Service) authenticate(ctx context.Context, email, password string) (userRecord, error) {
	u, etag, err := s.userByEmail(ctx, email)
	if platform.Is(err, platform.KindNotFound) {
		s.hasher.burn(ctx, password)
		return userRecord{}, errBadCredentials
	}
	if err != nil {
		return userRecord{}, err
	}
	ok, rehash, err := s.hasher.verify(ctx, u.PasswordHash, password)
	switch {
	case err != nil:
		return userRecord{}, err
	case !ok:
		return userRecord{}, errBadCredentials
	case rehash:
		u = s.rehash(ctx, u, etag, password)
	}
	return u, nil
}

// rehash stores a new hash of password made with the current parameters,
// unless the record changed meanwhile; failures are only logged.
func (s *Service) rehash(ctx context.Context, u userRecord, etag, password string) userRecord {
	hash, err := s.hasher.hash(ctx, password)
	if err == nil {
		next := u
		next.PasswordHash = hash
		if err = platform.SetJSON(ctx, s.state, userPrefix+u.ID, next, etag, false); err == nil {
			return next
		}
	}
	s.log.WarnContext(ctx, "auth: could not upgrade a password hash", "user_id", u.ID, "err", err)
	return u
}

// GetUser returns one account to the user themselves or to an admin.
//
// Errors: KindUnauthenticated for an anonymous caller; KindInvalid for a
// malformed id; KindForbidden for another user's account; KindNotFound.
func (s *Service) GetUser(ctx context.Context, req GetUserRequest) (GetUserResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return GetUserResponse{}, op("GetUser", err)
	}
	id, err := parseUserID(req.UserID)
	if err != nil {
		return GetUserResponse{}, op("GetUser", err)
	}
	if id != req.Caller.UserID && !req.Caller.IsAdmin() {
		return GetUserResponse{}, op("GetUser", platform.E(platform.KindForbidden, "you may only read your own account", nil))
	}
	u, _, err := s.getUser(ctx, id)
	if err != nil {
		return GetUserResponse{}, op("GetUser", err)
	}
	return GetUserResponse{User: u.public()}, nil
}

// ChangePassword checks the caller's current password, stores the new one
// and ends every session of the user (the session epoch is bumped and
// EventTokensRevoked published), then starts a new session for the caller.
//
// Errors: KindUnauthenticated for an anonymous caller, a wrong current
// password or a deleted account; KindInvalid for a missing current or a bad
// new password.
func (s *Service) ChangePassword(ctx context.Context, req ChangePasswordRequest) (ChangePasswordResponse, error) {
	if err := req.Caller.RequireUser(); err != nil {
		return ChangePasswordResponse{}, op("ChangePassword", err)
	}
	if req.OldPassword == "" {
		return ChangePasswordResponse{}, op("ChangePassword", platform.E(platform.KindInvalid, "current password is required", nil))
	}
	if err := checkPassword("new password", req.NewPassword); err != nil {
		return ChangePasswordResponse{}, op("ChangePassword", err)
	}
	id, err := parseUserID(req.Caller.UserID)
	if err != nil {
		return ChangePasswordResponse{}, op("ChangePassword", err)
	}
	old, _, err := s.getUser(ctx, id)
	if err != nil {
		return ChangePasswordResponse{}, op("ChangePassword", unauthenticatedIfMissing(err, errAccountGone))
	}
	if ok, _, err := s.hasher.verify(ctx, old.PasswordHash, req.OldPassword); err != nil || !ok {
		return ChangePasswordResponse{}, op("ChangePassword", cmp.Or(err, errWrongPassword))
	}
	hash, err := s.hasher.hash(ctx, req.NewPassword)
	if err != nil {
		return ChangePasswordResponse{}, op("ChangePassword", err)
	}
	var sess Session
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		u, etag, err := s.getUser(ctx, id)
		switch {
		case err != nil:
			return unauthenticatedIfMissing(err, errAccountGone)
		case u.PasswordHash != old.PasswordHash:
			return errWrongPassword // changed by a concurrent request
		}
		now := s.clock()
		s.resetPassword(b, &u, hash, reasonPasswordChanged, now)
		b.Set(userPrefix+u.ID, u, etag, false)
		if sess, err = s.startSession(ctx, b, u, now); err != nil {
			return err
		}
		return s.recordRevocations(ctx, b)
	})
	if err != nil {
		return ChangePasswordResponse{}, op("ChangePassword", err)
	}
	return ChangePasswordResponse{Session: sess}, nil
}

// resetPassword sets u's hash, ends all of u's sessions and adds
// EventTokensRevoked to b; the caller writes u.
func (s *Service) resetPassword(b *platform.Batch, u *userRecord, hash, reason string, now time.Time) {
	u.PasswordHash, u.UpdatedAt = hash, now
	u.SessionEpoch++
	b.Emit(s.event(EventTokensRevoked, now, TokensRevoked{UserID: u.ID, NotBefore: revokedBefore(now), Reason: reason}))
}
