package auth

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/dflix/dflix/services/platform"
)

// keyRingKey holds the signing keys, oldest first; the newest signs and all
// are published in the JWKS. The private keys live only in auth's own state.
const keyRingKey = "keys/signing"

// signingAlg is the JWS algorithm of access tokens (Ed25519).
const signingAlg = jwa.EdDSA

// storedKey is one signing key as stored.
type storedKey struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	Seed      []byte    `json:"seed"` // the Ed25519 private key seed
	CreatedAt time.Time `json:"createdAt"`
	// ActiveAt is when the key starts signing; it is published from
	// CreatedAt on. Zero means at once (the first key).
	ActiveAt time.Time `json:"activeAt,omitzero"`
}

// keyRing is the stored list of signing keys.
type keyRing struct {
	Keys []storedKey `json:"keys"`
}

// signingKey is a parsed stored key.
type signingKey struct {
	kid      string
	priv     jwk.Key
	pub      jwk.Key
	activeAt time.Time
}

// keyCache is a replica's copy of the key ring.
type keyCache struct {
	mu       sync.Mutex
	keys     []signingKey
	loadedAt time.Time
}

// generateKey makes a new Ed25519 key whose kid is its RFC 7638 thumbprint.
func generateKey(now time.Time) (storedKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return storedKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	pub, err := jwk.FromRaw(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		return storedKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return storedKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(tp)
	return storedKey{KID: kid, Alg: signingAlg.String(), Seed: seed, CreatedAt: now}, nil
}

// parse turns a stored key into its private and public JWKs.
func (k storedKey) parse() (signingKey, error) {
	if len(k.Seed) != ed25519.SeedSize || k.Alg != signingAlg.String() {
		return signingKey{}, fmt.Errorf("signing key %s: unsupported", k.KID)
	}
	priv, err := jwk.FromRaw(ed25519.NewKeyFromSeed(k.Seed))
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	pub, err := jwk.PublicKeyOf(priv)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", k.KID, err)
	}
	for _, key := range []jwk.Key{priv, pub} {
		if err := errors.Join(
			key.Set(jwk.KeyIDKey, k.KID),
			key.Set(jwk.AlgorithmKey, signingAlg),
			key.Set(jwk.KeyUsageKey, jwk.ForSignature),
		); err != nil {
			return signingKey{}, fmt.Errorf("signing key %s: %w", k.KID, err)
		}
	}
	return signingKey{kid: k.KID, priv: priv, pub: pub, activeAt: k.ActiveAt}, nil
}

// readRing returns the stored key ring and its ETag, creating the first key
// if there is none. Replicas racing to create it agree on one: the insert is
// IfAbsent and the loser reads the winner's ring.
func (s *Service) readRing(ctx context.Context) (keyRing, string, error) {
	for range 2 {
		var ring keyRing
		etag, err := platform.GetJSON(ctx, s.state, keyRingKey, "no signing keys", &ring)
		if err == nil {
			if len(ring.Keys) == 0 {
				return ring, "", errors.New("signing key ring is empty")
			}
			return ring, etag, nil
		}
		if !platform.Is(err, platform.KindNotFound) {
			return ring, "", err
		}
		first, err := generateKey(s.clock())
		if err != nil {
			return ring, "", err
		}
		err = platform.SetJSON(ctx, s.state, keyRingKey, keyRing{Keys: []storedKey{first}}, "", true)
		if err != nil && !platform.Is(err, platform.KindConflict) {
			return ring, "", fmt.Errorf("create signing key: %w", err)
		}
		s.log.InfoContext(ctx, "auth: created the first signing key", "kid", first.KID, "won_race", err == nil)
	}
	return keyRing{}, "", errors.New("signing key ring vanished while creating it")
}

// loadKeys reads the ring from the state and refreshes the cache.
// The caller holds s.keys.mu.
func (s *Service) loadKeys(ctx context.Context) ([]signingKey, error) {
	ring, _, err := s.readRing(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	keys := make([]signingKey, 0, len(ring.Keys))
	for _, k := range ring.Keys {
		parsed, err := k.parse()
		if err != nil {
			return nil, err
		}
		keys = append(keys, parsed)
	}
	s.keys.keys, s.keys.loadedAt = keys, s.clock()
	return keys, nil
}

// signer returns the key that signs new tokens: the newest active key of
// the ring, cached for Config.KeyCacheTTL.
func (s *Service) signer(ctx context.Context) (signingKey, error) {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	keys := s.keys.keys
	if len(keys) == 0 || s.clock().Sub(s.keys.loadedAt) >= s.cfg.KeyCacheTTL {
		var err error
		if keys, err = s.loadKeys(ctx); err != nil {
			return signingKey{}, err
		}
	}
	now := s.clock()
	for i := len(keys) - 1; i > 0; i-- {
		if !keys[i].activeAt.After(now) {
			return keys[i], nil
		}
	}
	return keys[0], nil
}

// JWKS returns the public keys of every signing key in the ring, each with
// kid, alg (EdDSA) and use (sig). It reads the ring fresh so a rotation by
// another replica is published at once.
func (s *Service) JWKS(ctx context.Context, _ JWKSRequest) (JWKSResponse, error) {
	s.keys.mu.Lock()
	keys, err := s.loadKeys(ctx)
	s.keys.mu.Unlock()
	if err != nil {
		return JWKSResponse{}, op("JWKS", err)
	}
	set := jwk.NewSet()
	for _, k := range keys {
		if err := set.AddKey(k.pub); err != nil {
			return JWKSResponse{}, op("JWKS", err)
		}
	}
	doc, err := json.Marshal(set)
	if err != nil {
		return JWKSResponse{}, op("JWKS", err)
	}
	var resp JWKSResponse
	if err := json.Unmarshal(doc, &resp); err != nil {
		return JWKSResponse{}, op("JWKS", err)
	}
	return resp, nil
}

// RotateKey adds a new signing key and keeps the newest Config.MaxKeys keys
// (older ones are dropped from the JWKS, so rotate no more often than once
// per access-token lifetime). The key is published at once and signs only
// after Config.KeyActivationDelay: a BFF refetches the JWKS when it meets an
// unknown kid, but at most once per authn.DefaultMinRefresh, so a key that
// signed at once could be refused for that long by a BFF that had just
// fetched. Other replicas pick the key up within Config.KeyCacheTTL; tokens
// they sign meanwhile stay valid because the previous key is still
// published. Only admins may rotate.
func (s *Service) RotateKey(ctx context.Context, req RotateKeyRequest) (RotateKeyResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return RotateKeyResponse{}, op("RotateKey", err)
	}
	var resp RotateKeyResponse
	err := platform.RetryConflict(ctx, conflictRetries, func() error {
		ring, etag, err := s.readRing(ctx)
		if err != nil {
			return err
		}
		now := s.clock()
		next, err := generateKey(now)
		if err != nil {
			return err
		}
		next.ActiveAt = now.Add(s.cfg.KeyActivationDelay)
		ring.Keys = append(ring.Keys, next)
		if extra := len(ring.Keys) - s.cfg.MaxKeys; extra > 0 {
			ring.Keys = ring.Keys[extra:]
		}
		resp = RotateKeyResponse{KID: next.KID, ActiveAt: next.ActiveAt}
		for _, k := range ring.Keys {
			resp.Published = append(resp.Published, k.KID)
		}
		return platform.SetJSON(ctx, s.state, keyRingKey, ring, etag, false)
	})
	if err != nil {
		return RotateKeyResponse{}, op("RotateKey", err)
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	if _, err := s.loadKeys(ctx); err != nil {
		return RotateKeyResponse{}, op("RotateKey", err)
	}
	s.log.InfoContext(ctx, "auth: rotated the signing key", "kid", resp.KID, "by", req.Caller.UserID)
	return resp, nil
}
