package auth

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// adminsKey lists the ids of all admins. Every change of an admin goes
// through this one record (ETag-conditional), so "never zero admins" holds
// even when two admins demote each other at the same time.
const adminsKey = "admins"

type adminsRecord struct {
	IDs []string `json:"ids"`
}

func (a adminsRecord) with(id string) adminsRecord {
	if slices.Contains(a.IDs, id) {
		return a
	}
	return adminsRecord{IDs: append(slices.Clone(a.IDs), id)}
}

func (a adminsRecord) without(id string) adminsRecord {
	return adminsRecord{IDs: slices.DeleteFunc(slices.Clone(a.IDs), func(x string) bool { return x == id })}
}

// errLastAdmin is returned instead of leaving the platform without admins.
var errLastAdmin = platform.E(platform.KindConflict, "cannot remove the last admin", nil)

// readAdmins returns the admins list and its ETag ("" when none exists yet).
func (s *Service) readAdmins(ctx context.Context) (adminsRecord, string, error) {
	var a adminsRecord
	etag, err := platform.GetJSON(ctx, s.state, adminsKey, "", &a)
	if platform.Is(err, platform.KindNotFound) {
		return adminsRecord{}, "", nil
	}
	return a, etag, err
}

// setAdmins adds the write of the admins list to b: conditional on its
// ETag, or an insert when there was none.
func setAdmins(b *platform.Batch, a adminsRecord, etag string) {
	b.Set(adminsKey, a, etag, etag == "")
}

// dropAdmin adds the removal of an admin to b, refusing to remove the last.
func (s *Service) dropAdmin(ctx context.Context, b *platform.Batch, id string) error {
	admins, etag, err := s.readAdmins(ctx)
	if err != nil {
		return err
	}
	rest := admins.without(id)
	if len(rest.IDs) == 0 {
		return errLastAdmin
	}
	setAdmins(b, rest, etag)
	return nil
}

// ListUsers pages through all accounts, oldest first (user ids are UUIDv7,
// so id order is creation order). First defaults to DefaultPageSize and is
// capped at MaxPageSize.
//
// Errors: KindUnauthenticated, KindForbidden for a non-admin; KindInvalid
// for a negative First or a malformed cursor.
func (s *Service) ListUsers(ctx context.Context, req ListUsersRequest) (ListUsersResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return ListUsersResponse{}, op("ListUsers", err)
	}
	first, after, err := pageArgs(req.First, req.After)
	if err != nil {
		return ListUsersResponse{}, op("ListUsers", err)
	}
	ids, err := s.users.Members(ctx)
	if err != nil {
		return ListUsersResponse{}, op("ListUsers", err)
	}
	start := sort.Search(len(ids), func(i int) bool { return ids[i] > after })
	end := min(start+first, len(ids))
	users, err := s.bulkUsers(ctx, ids[start:end])
	if err != nil {
		return ListUsersResponse{}, op("ListUsers", err)
	}
	resp := ListUsersResponse{Users: users, Cursors: make([]string, len(users)), HasNextPage: end < len(ids), TotalCount: len(ids)}
	for i, u := range users {
		resp.Cursors[i] = encodeCursor(u.ID)
	}
	return resp, nil
}

// bulkUsers reads the accounts of ids in order, leaving out any deleted
// meanwhile.
func (s *Service) bulkUsers(ctx context.Context, ids []string) ([]User, error) {
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = userPrefix + id
	}
	items, err := s.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	users := make([]User, 0, len(items))
	for _, it := range items {
		var u userRecord
		if err := platform.DecodeJSON(it, &u); err != nil {
			return nil, err
		}
		users = append(users, u.public())
	}
	return users, nil
}

const cursorPrefix = "user:"

func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(c string) (string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	id, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if err != nil || !ok {
		return "", platform.E(platform.KindInvalid, "after is not a valid cursor", err)
	}
	if _, err := parseUserID(id); err != nil {
		return "", platform.E(platform.KindInvalid, "after is not a valid cursor", err)
	}
	return id, nil
}

func pageArgs(first int, after string) (int, string, error) {
	switch {
	case first < 0:
		return 0, "", platform.E(platform.KindInvalid, "first must not be negative", nil)
	case first == 0:
		first = DefaultPageSize
	case first > MaxPageSize:
		first = MaxPageSize
	}
	if after == "" {
		return first, "", nil
	}
	id, err := decodeCursor(after)
	return first, id, err
}

// SetUserRole changes a user's role and revokes the user's access tokens
// (EventRoleChanged and EventTokensRevoked), so the new role applies at the
// next refresh; refresh tokens stay valid and pick the new role up. Setting
// the role a user already has changes nothing and publishes nothing.
//
// Errors: KindUnauthenticated, KindForbidden for a non-admin; KindInvalid
// for a malformed id or an unknown role; KindNotFound; KindConflict "cannot
// remove the last admin" when demoting the only admin (also oneself).
func (s *Service) SetUserRole(ctx context.Context, req SetUserRoleRequest) (SetUserRoleResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return SetUserRoleResponse{}, op("SetUserRole", err)
	}
	id, err := parseUserID(req.UserID)
	if err != nil {
		return SetUserRoleResponse{}, op("SetUserRole", err)
	}
	if err := checkRole(req.Role); err != nil {
		return SetUserRoleResponse{}, op("SetUserRole", err)
	}
	var u userRecord
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		var etag string
		var err error
		if u, etag, err = s.getUser(ctx, id); err != nil || u.Role == req.Role {
			return err
		}
		if err := s.changeRole(ctx, b, &u, req.Role); err != nil {
			return err
		}
		b.Set(userPrefix+u.ID, u, etag, false)
		return s.recordRevocations(ctx, b)
	})
	if err != nil {
		return SetUserRoleResponse{}, op("SetUserRole", err)
	}
	return SetUserRoleResponse{User: u.public()}, nil
}

// changeRole sets u's role and adds the admins list update and the events
// to b; the caller writes u.
func (s *Service) changeRole(ctx context.Context, b *platform.Batch, u *userRecord, role platform.Role) error {
	now := s.clock()
	if role == platform.RoleAdmin {
		admins, etag, err := s.readAdmins(ctx)
		if err != nil {
			return err
		}
		setAdmins(b, admins.with(u.ID), etag)
	} else if err := s.dropAdmin(ctx, b, u.ID); err != nil {
		return err
	}
	u.Role, u.UpdatedAt = role, now
	b.Emit(s.event(EventRoleChanged, now, RoleChanged{UserID: u.ID, Role: string(role)}))
	b.Emit(s.event(EventTokensRevoked, now, TokensRevoked{UserID: u.ID, NotBefore: revokedBefore(now), Reason: reasonRoleChanged}))
	return nil
}

// DeleteUser deletes an account, frees its email and ends all of its
// sessions (EventUserDeleted and EventTokensRevoked).
//
// Errors: KindUnauthenticated, KindForbidden for a non-admin; KindInvalid
// for a malformed id; KindNotFound; KindConflict "cannot remove the last
// admin" when deleting the only admin (also oneself).
func (s *Service) DeleteUser(ctx context.Context, req DeleteUserRequest) (DeleteUserResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return DeleteUserResponse{}, op("DeleteUser", err)
	}
	id, err := parseUserID(req.UserID)
	if err != nil {
		return DeleteUserResponse{}, op("DeleteUser", err)
	}
	err = s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		u, etag, err := s.getUser(ctx, id)
		if err != nil {
			return err
		}
		if u.Role == platform.RoleAdmin {
			if err := s.dropAdmin(ctx, b, id); err != nil {
				return err
			}
		}
		b.Add(s.users.RemoveOps(ctx, id))
		b.Delete(userPrefix+id, etag)
		b.Delete(emailPrefix+u.Email, "")
		now := s.clock()
		b.Emit(s.event(EventUserDeleted, now, UserDeleted{UserID: id}))
		b.Emit(s.event(EventTokensRevoked, now, TokensRevoked{UserID: id, NotBefore: revokedBefore(now), Reason: reasonUserDeleted}))
		return s.recordRevocations(ctx, b)
	})
	if err != nil {
		return DeleteUserResponse{}, op("DeleteUser", err)
	}
	return DeleteUserResponse{}, nil
}
