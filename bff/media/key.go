package media

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// KeySize is the size in bytes of an HMAC key that signs media tokens.
const KeySize = 32

const (
	// ringKey is where the key ring is stored in the BFF's State.
	ringKey = "media-signing-keys"
	// legacyKeyKey is where versions before the ring kept their one key. It
	// is left in place: a replica of such a version, still running during a
	// rolling upgrade, keeps reading it, and the ring verifies its tokens.
	legacyKeyKey = "media-signing-key"
)

// loadRingTries bounds the rounds of readRing: one replica creates the
// ring and every other one that raced it reads it, so three rounds (read,
// insert, read back) suffice unless the ring is deleted at the same time.
const loadRingTries = 3

// storedKey is one key of the ring as stored.
type storedKey struct {
	KID       string    `json:"kid"`
	Key       []byte    `json:"key"`
	CreatedAt time.Time `json:"createdAt"`
	// ActiveAt is when the key starts signing; zero means at once (the
	// ring's first key).
	ActiveAt time.Time `json:"activeAt,omitzero"`
	// Legacy marks the key migrated from legacyKeyKey: it alone also
	// verifies the two-part tokens of earlier versions, which name no key.
	Legacy bool `json:"legacy,omitempty"`
}

// storedRing is the stored list of keys, oldest first.
type storedRing struct {
	Keys []storedKey `json:"keys"`
}

// legacyKey is the stored shape of the key of earlier versions.
type legacyKey struct {
	Key []byte `json:"key"`
}

// readRing returns the stored ring and its ETag. With no ring stored it
// inserts one (IfAbsent) whose first key is the legacy key, when there is
// one, or a new random key: replicas starting together agree on one ring,
// since a replica that loses the race reads the winner's.
//
// Errors: KindInternal for a corrupt ring or legacy key; a failed read or
// write keeps its kind (KindUnavailable).
func readRing(ctx context.Context, state platform.State, now time.Time) (storedRing, string, error) {
	for range loadRingTries {
		var ring storedRing
		etag, err := platform.GetJSON(ctx, state, ringKey, "media signing keys not found", &ring)
		if err == nil {
			if err := ring.check(); err != nil {
				return storedRing{}, "", platform.E(platform.KindInternal, "corrupt media signing keys", err)
			}
			return ring, etag, nil
		}
		if !platform.Is(err, platform.KindNotFound) {
			return storedRing{}, "", err
		}
		first, err := firstKey(ctx, state, now)
		if err != nil {
			return storedRing{}, "", err
		}
		err = platform.SetJSON(ctx, state, ringKey, storedRing{Keys: []storedKey{first}}, "", true)
		if err != nil && !platform.Is(err, platform.KindConflict) {
			return storedRing{}, "", err
		}
		// Inserted, or another replica inserted first: read it back either
		// way, for its ETag.
	}
	return storedRing{}, "", platform.E(platform.KindConflict, "media signing keys changed while loading them", nil)
}

// firstKey is the ring's first key: the legacy key migrated, so that the
// tokens it signed keep verifying, or a new one.
func firstKey(ctx context.Context, state platform.State, now time.Time) (storedKey, error) {
	var old legacyKey
	_, err := platform.GetJSON(ctx, state, legacyKeyKey, "media signing key not found", &old)
	switch {
	case platform.Is(err, platform.KindNotFound):
		return generateKey(now, nil)
	case err != nil:
		return storedKey{}, err
	case len(old.Key) != KeySize:
		return storedKey{}, platform.E(platform.KindInternal, "corrupt media signing key",
			fmt.Errorf("stored key is %d bytes, want %d", len(old.Key), KeySize))
	}
	return storedKey{KID: kidOf(old.Key), Key: old.Key, CreatedAt: now, Legacy: true}, nil
}

// generateKey makes a new random key whose id is none of taken.
func generateKey(now time.Time, taken map[string]int) (storedKey, error) {
	for range 8 {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return storedKey{}, platform.E(platform.KindInternal, "internal error", fmt.Errorf("random key: %w", err))
		}
		if _, dup := taken[kidOf(key)]; !dup {
			return storedKey{KID: kidOf(key), Key: key, CreatedAt: now}, nil
		}
	}
	return storedKey{}, platform.E(platform.KindInternal, "internal error", errors.New("no unused key id"))
}

// kidLen is the length of a key id: 6 bytes in base64url.
const kidLen = 8

// kidOf names a key by a hash of it, so that replicas migrating the same
// legacy key at once name it alike. A truncated SHA-256 of 32 random bytes
// tells nothing about them.
func kidOf(key []byte) string {
	sum := sha256.Sum256(append([]byte("dflix media key id\x00"), key...))
	return base64.RawURLEncoding.EncodeToString(sum[:6])
}

// validKID reports whether s can be a key id: kidLen base64url characters.
func validKID(s string) bool {
	if len(s) != kidLen {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// check validates a stored ring: at least one key, each well formed, ids
// unique, at most one legacy key.
func (r storedRing) check() error {
	if len(r.Keys) == 0 {
		return errors.New("no keys")
	}
	seen := make(map[string]bool, len(r.Keys))
	legacy := 0
	for _, k := range r.Keys {
		switch {
		case !validKID(k.KID) || seen[k.KID]:
			return fmt.Errorf("bad or repeated key id %q", k.KID)
		case len(k.Key) != KeySize:
			return fmt.Errorf("key %s is %d bytes, want %d", k.KID, len(k.Key), KeySize)
		}
		seen[k.KID] = true
		if k.Legacy {
			legacy++
		}
	}
	if legacy > 1 {
		return errors.New("more than one legacy key")
	}
	return nil
}
