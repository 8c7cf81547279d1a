package media

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/dflix/dflix/services/platform"
)

// KeySize is the size in bytes of the HMAC key that signs media tokens.
const KeySize = 32

// signingKeyKey is where the key is stored in the BFF's State.
const signingKeyKey = "media-signing-key"

// loadKeyTries bounds the rounds of LoadKey: one replica creates the key
// and every other one that raced it reads it, so two rounds always suffice
// unless the key is deleted at the same time.
const loadKeyTries = 3

type storedKey struct {
	Key []byte `json:"key"`
}

// LoadKey returns the media signing key shared by every BFF replica: the
// one stored in state, or a new random one stored there when there is none.
// Creation is an insert (IfAbsent), so replicas starting together agree on
// one key: a replica that loses the race reads the winner's.
//
// Errors: KindInternal for a stored key that is not KeySize bytes; a failed
// read or write keeps its kind (KindUnavailable).
func LoadKey(ctx context.Context, state platform.State) ([]byte, error) {
	var (
		key []byte
		err error
	)
	for range loadKeyTries {
		if key, err = loadOrCreate(ctx, state); !platform.Is(err, platform.KindConflict) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("media: load signing key: %w", err)
	}
	return key, nil
}

// loadOrCreate reads the stored key, or inserts a new one when missing.
func loadOrCreate(ctx context.Context, state platform.State) ([]byte, error) {
	key, err := readKey(ctx, state)
	if !platform.Is(err, platform.KindNotFound) {
		return key, err
	}
	fresh := make([]byte, KeySize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, platform.E(platform.KindInternal, "internal error", fmt.Errorf("random key: %w", err))
	}
	if err := platform.SetJSON(ctx, state, signingKeyKey, storedKey{Key: fresh}, "", true); err != nil {
		return nil, err // KindConflict: another replica stored its key first
	}
	return fresh, nil
}

// readKey reads the stored key.
func readKey(ctx context.Context, state platform.State) ([]byte, error) {
	var k storedKey
	if _, err := platform.GetJSON(ctx, state, signingKeyKey, "media signing key not found", &k); err != nil {
		return nil, err
	}
	if len(k.Key) != KeySize {
		return nil, platform.E(platform.KindInternal, "corrupt media signing key", fmt.Errorf("stored key is %d bytes, want %d", len(k.Key), KeySize))
	}
	return k.Key, nil
}
