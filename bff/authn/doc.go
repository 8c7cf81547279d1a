// Package authn verifies the access tokens that reach the BFF and turns them
// into a platform.Caller.
//
// Tokens are JWTs issued by the auth service and verified locally against its
// JWKS: the key set is cached and refetched when a token names an unknown
// `kid` (at most once per refresh interval, one fetch at a time). The
// algorithm comes from the key, never from the token, so alg=none and HMAC
// tokens forged with a public key are refused. Revocations, applied from the
// auth service's users topic on every replica, refuse tokens issued before a
// user's tokens were revoked.
package authn
