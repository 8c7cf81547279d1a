package media_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/platform"
)

// The State keys of the ring and of the one key of earlier versions.
const (
	ringStateKey   = "media-signing-keys"
	legacyStateKey = "media-signing-key"
)

// storedRing is the ring as the tests read it from the State.
type storedRing struct {
	Keys []struct {
		KID      string    `json:"kid"`
		Key      []byte    `json:"key"`
		ActiveAt time.Time `json:"activeAt"`
		Legacy   bool      `json:"legacy"`
	} `json:"keys"`
}

func readStoredRing(t *testing.T, state platform.State) storedRing {
	t.Helper()
	var ring storedRing
	_, err := platform.GetJSON(context.Background(), state, ringStateKey, "no ring", &ring)
	require.NoError(t, err)
	return ring
}

// legacyToken signs claims as versions before the ring did: base64url
// claims "." HMAC of them, naming no key.
func legacyToken(t *testing.T, key []byte, c map[string]any) string {
	t.Helper()
	payload := encodeClaims(t, c)
	return payload + "." + macOf(key, payload)
}

// signedToken signs claims as the ring does: kid "." claims "." HMAC of both.
func signedToken(t *testing.T, kid string, key []byte, c map[string]any) string {
	t.Helper()
	signed := kid + "." + encodeClaims(t, c)
	return signed + "." + macOf(key, signed)
}

func macOf(key []byte, s string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// posterClaims are the claims of a poster token for media A.
func posterClaims(exp time.Time) map[string]any {
	return map[string]any{"v": "video-a", "m": mediaA, "k": "img", "e": exp.Unix()}
}

// TestLoadKeyRingMigratesTheLegacyKey: a State holding the one key of
// earlier versions gets a ring whose first key is that key, whichever of
// the replicas starting at once creates it; two-part tokens it signed keep
// playing, and new tokens name it.
func TestLoadKeyRingMigratesTheLegacyKey(t *testing.T) {
	f := newFixture(t)
	state := openState(t)
	old := bytes.Repeat([]byte{7}, media.KeySize)
	require.NoError(t, platform.SetJSON(context.Background(), state, legacyStateKey, map[string][]byte{"key": old}, "", true))
	oldURL := "/media/" + legacyToken(t, old, posterClaims(f.clock.Now().Add(time.Hour))) + "/poster.jpg"

	const replicas = 8
	rings := make([]*media.KeyRing, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			r, err := media.LoadKeyRing(context.Background(), state, media.KeyRingConfig{Clock: f.clock.Now})
			assert.NoError(t, err)
			rings[i] = r
		})
	}
	wg.Wait()

	ring := readStoredRing(t, state)
	require.Len(t, ring.Keys, 1)
	assert.Equal(t, old, ring.Keys[0].Key, "the legacy key is the ring's first")
	assert.True(t, ring.Keys[0].Legacy)
	var left map[string][]byte
	_, err := platform.GetJSON(context.Background(), state, legacyStateKey, "", &left)
	require.NoError(t, err, "replicas of the earlier version still read the legacy key")
	assert.Equal(t, old, left["key"])

	for i, r := range rings {
		require.NotNil(t, r, "replica %d", i)
		signer, err := media.NewSigner(r, time.Hour)
		require.NoError(t, err)
		gw := media.NewGateway(signer, f.blobs, nil, nil)
		assert.Equal(t, http.StatusOK, get(gw, http.MethodGet, oldURL, nil).StatusCode, "replica %d plays a two-part URL", i)
		url, _ := signer.PosterURL("video-a", mediaA)
		kid, _, _ := parts(t, token(url))
		assert.Equal(t, ring.Keys[0].KID, kid, "replica %d signs with the migrated key", i)
		other := media.NewGateway(mustSigner(t, rings[(i+1)%replicas]), f.blobs, nil, nil)
		assert.Equal(t, http.StatusOK, get(other, http.MethodGet, url, nil).StatusCode, "another replica plays it")
	}
}

// TestLoadKeyRingWithoutALegacyKey: a fresh State gets a ring of one new
// key, no legacy key, and a two-part token verifies with nothing.
func TestLoadKeyRingWithoutALegacyKey(t *testing.T) {
	f := newFixture(t)
	ring := readStoredRing(t, f.state)
	require.Len(t, ring.Keys, 1)
	assert.False(t, ring.Keys[0].Legacy)
	_, err := f.state.Get(context.Background(), legacyStateKey)
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "no legacy key is made")

	exp := f.clock.Now().Add(time.Hour)
	twoPart := "/media/" + legacyToken(t, ring.Keys[0].Key, posterClaims(exp)) + "/poster.jpg"
	assert.Equal(t, http.StatusForbidden, get(f.gw, http.MethodGet, twoPart, nil).StatusCode, "the ring's key signs no two-part token")
	threePart := "/media/" + signedToken(t, ring.Keys[0].KID, ring.Keys[0].Key, posterClaims(exp)) + "/poster.jpg"
	assert.Equal(t, http.StatusOK, get(f.gw, http.MethodGet, threePart, nil).StatusCode)

	again, err := media.LoadKeyRing(context.Background(), f.state, media.KeyRingConfig{Clock: f.clock.Now})
	require.NoError(t, err)
	url, _ := mustSigner(t, again).PosterURL("video-a", mediaA)
	kid, _, _ := parts(t, token(url))
	assert.Equal(t, ring.Keys[0].KID, kid, "a restart keeps the ring")
}

func TestLoadKeyRingRefuses(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		key  string
		v    any
		cfg  media.KeyRingConfig
		kind platform.Kind
	}{
		{"a corrupt legacy key", legacyStateKey, map[string][]byte{"key": []byte("short")}, media.KeyRingConfig{}, platform.KindInternal},
		{"an empty ring", ringStateKey, map[string]any{"keys": []any{}}, media.KeyRingConfig{}, platform.KindInternal},
		{"a short key in the ring", ringStateKey, map[string]any{"keys": []any{map[string]any{"kid": "AAAAAAAA", "key": []byte("short")}}}, media.KeyRingConfig{}, platform.KindInternal},
		{"a bad key id", ringStateKey, map[string]any{"keys": []any{map[string]any{"kid": "a.b", "key": make([]byte, media.KeySize)}}}, media.KeyRingConfig{}, platform.KindInternal},
		{"too short an activation delay", "", nil, media.KeyRingConfig{ReloadInterval: 10 * time.Second, ActivationDelay: 20 * time.Second}, platform.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := openState(t)
			if tt.key != "" {
				require.NoError(t, platform.SetJSON(ctx, state, tt.key, tt.v, "", false))
			}
			_, err := media.LoadKeyRing(ctx, state, tt.cfg)
			assert.Equal(t, tt.kind, platform.KindOf(err), "%v", err)
		})
	}
}

func TestNewSignerRefuses(t *testing.T) {
	f := newFixture(t)
	for name, build := range map[string]func() (*media.Signer, error){
		"no ring":     func() (*media.Signer, error) { return media.NewSigner(nil, time.Hour) },
		"no lifetime": func() (*media.Signer, error) { return media.NewSigner(f.keys, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := build()
			assert.Equal(t, platform.KindInvalid, platform.KindOf(err))
		})
	}
}

func mustSigner(t *testing.T, r *media.KeyRing) *media.Signer {
	t.Helper()
	s, err := media.NewSigner(r, 4*time.Hour)
	require.NoError(t, err)
	return s
}

// countingState counts the reads of the key ring.
type countingState struct {
	platform.State
	reads atomic.Int64
}

func (c *countingState) Get(ctx context.Context, key string) (platform.Item, error) {
	if key == ringStateKey {
		c.reads.Add(1)
	}
	return c.State.Get(ctx, key)
}
