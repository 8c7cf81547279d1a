// Package auth is the dflix account service: registration, password
// sign-in, rotating refresh tokens, short-lived access tokens and the JWKS
// that verifies them, and admin user management.
//
// # Shape
//
// auth.go declares the API and its wire types, events.go the events it
// publishes on Topic. Service (service.go and the files beside it) is the
// core; NewHandler serves any API over HTTP and Client calls it back through
// a platform.Invoker, so a caller holds either without knowing which.
//
// # Tokens
//
// Access tokens are JWTs signed with Ed25519 (alg EdDSA), valid for
// AccessTokenTTL, with the kid of their key in the header and the claims
// iss (Issuer), aud (Audience), sub (user id), iat, nbf, exp, jti, role
// (ClaimRole) and email (ClaimEmail). Verifiers (the BFF) check them locally
// against the JWKS method's keys and refuse a user's tokens whose iat is
// before the NotBefore of the latest EventTokensRevoked for that user.
// NotBefore has whole-second precision like iat, so a token issued within
// the same second as a revocation is not refused.
//
// The signing keys are generated on first use and stored in the state, so
// tokens survive restarts and every replica signs with the same keys; the
// first key is inserted IfAbsent, so replicas starting together agree on one.
// Service.RotateKey adds a key that signs from then on; the newest
// Config.MaxKeys keys stay published.
//
// Refresh tokens are 32 random bytes (base64url); only their SHA-256 is
// stored. Each sign-in starts a token family; Refresh spends the presented
// token and issues the next one of the family. Presenting a spent token
// again (a stolen token, or a client that retried) revokes the family and
// publishes EventTokensRevoked. A user's families are all revoked at once by
// bumping the session epoch in the user record (password change or reset,
// deletion); a role change keeps refresh tokens, which pick the new role up,
// but revokes access tokens.
//
// # Passwords
//
// Passwords are hashed with argon2id into PHC strings that carry their
// salt and parameters (Config.Argon2, OWASP's 19 MiB, t=2, p=1 by default);
// a login with a hash of older parameters rehashes it. An unknown email is
// answered after a dummy verification, with the same message as a wrong
// password.
//
// # Login limits
//
// Failed sign-ins are counted per account (the normalized email, whether
// or not an account has it) and per client address (LoginRequest.ClientIP,
// an IPv6 /64 counting as one), in fixed windows that start at a subject's
// first failure: Config.AccountLimit (10 per 15 minutes) and Config.IPLimit
// (50 per 15 minutes) by default. Over either limit, Login answers
// KindRateLimited "too many failed sign-in attempts; try again in N
// minutes" before checking the password, so a refused attempt costs no
// hashing, does not count, and reads the same for every account. A correct
// password clears the account's count, not the address's. A registration
// of a taken email counts against the address. The counters live in the
// state, so they hold across replicas and restarts; a counter that cannot
// be read or written is logged and never refuses a sign-in.
//
// # Admins
//
// Registration creates viewers. EnsureAdmin bootstraps an admin (main calls
// it at start with the configured email and password; it writes nothing
// when the account is already right). It has no caller check, so it must
// only be reachable on auth's own invocation port, never through the BFF.
// No operation may leave the platform without an admin: demoting or
// deleting the last one fails with KindConflict "cannot remove the last
// admin".
//
// # State
//
// All keys live in auth's own platform.State:
//
//	user/<id>              account (role, argon2id hash, session epoch)
//	email/<email>          {userId}: one account per normalized email (IfAbsent)
//	users/shard/<nn>       platform.KeySet of user ids, for ListUsers
//	admins                 {ids}: every admin; guards "never zero admins"
//	refresh/<sha256 hex>   one refresh token: user, family, expiry, rotatedTo
//	family/<id>            one sign-in: user, epoch, revoked
//	keys/signing           the signing keys, private (protect this store)
//	attempts/account/<sha256 of email>  failed sign-ins of an email in its window
//	attempts/ip/<sha256 of address>     failed sign-ins of a client address
//	revocation/<user id>   the user's latest TokensRevoked, for RecentRevocations
//	revocations/shard/<nn> platform.KeySet of those user ids (expired ones are
//	                       pruned when listed)
//	outbox/event/<id>      an event written but not yet published
//	outbox/shard/<nn>      platform.KeySet of outbox event ids
//
// Every write is one Transact, conditional on the ETags of what it read and
// retried on conflict.
//
// # Events
//
// Events are written to the outbox in the same transaction as the change
// and published right after it commits; if publishing fails the write still
// succeeds and Service.Run (started by main) publishes the leftovers, so
// delivery is at least once, with the event id kept for deduplication.
//
// Every EventTokensRevoked is also recorded (same transaction) under
// revocation/<user id>, so RecentRevocations can tell a verifier started
// after the event what it missed: the event is the fast path, the listing
// closes the gap. RecentRevocations, like EnsureAdmin, has no caller check
// and must only be reachable on auth's own invocation port.
//
// # Known limitations
//
// Spent and expired refresh tokens and revoked families are never deleted
// (the State port has no TTL or scan), nor are the failure counters of
// emails and addresses that never sign in successfully (one small record
// each); they are small, and a TTL on the store is the remedy. ListUsers reads every user id per page, which suits
// thousands of users, not millions.
package auth
