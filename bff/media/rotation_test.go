package media_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/platform"
)

// replica is one BFF's ring, signer and gateway over a shared State.
type replica struct {
	keys   *media.KeyRing
	signer *media.Signer
	gw     *media.Gateway
}

func newReplica(t *testing.T, f *fixture, state platform.State, cfg media.KeyRingConfig) replica {
	t.Helper()
	cfg.Clock = f.clock.Now
	keys, err := media.LoadKeyRing(context.Background(), state, cfg)
	require.NoError(t, err)
	signer := mustSigner(t, keys)
	return replica{keys: keys, signer: signer, gw: media.NewGateway(signer, f.blobs, nil, nil)}
}

func (r replica) kid(t *testing.T) string {
	t.Helper()
	url, _ := r.signer.PosterURL("video-a", mediaA)
	kid, _, _ := parts(t, token(url))
	return kid
}

func status(gw http.Handler, url string) int {
	return get(gw, http.MethodGet, url, nil).StatusCode
}

// TestRotationKeepsURLsPlaying: after one replica rotates, the new key
// signs on every replica from its activation on, not before; URLs signed
// before keep playing on both until they expire, and URLs signed with the
// new key play on the replica that did not rotate once it reloaded.
func TestRotationKeepsURLsPlaying(t *testing.T) {
	f := newFixture(t)
	state := openState(t)
	a, b := newReplica(t, f, state, media.KeyRingConfig{}), newReplica(t, f, state, media.KeyRingConfig{})
	before, exp := a.signer.PlaybackURL(alice, "video-a", mediaA, 0, 4*time.Hour)
	old := a.kid(t)
	require.Equal(t, old, b.kid(t))

	rot, err := a.signer.RotateKey(context.Background())
	require.NoError(t, err)
	assert.Equal(t, f.clock.Now().Add(media.DefaultKeyActivationDelay), rot.ActiveAt)
	assert.NotEqual(t, old, rot.KID)
	assert.Equal(t, []string{old, rot.KID}, rot.Keys)

	f.clock.Advance(media.DefaultKeyReloadInterval)
	require.NoError(t, b.keys.Reload(context.Background()), "b's periodic reload")
	f.clock.Set(rot.ActiveAt.Add(-time.Nanosecond))
	assert.Equal(t, old, a.kid(t), "not active yet on the replica that rotated")
	assert.Equal(t, old, b.kid(t), "nor on the other")
	f.clock.Set(rot.ActiveAt)
	assert.Equal(t, rot.KID, a.kid(t), "active")
	assert.Equal(t, rot.KID, b.kid(t), "active on the other replica too")

	afterA, _ := a.signer.PlaybackURL(alice, "video-a", mediaA, 0, time.Hour)
	afterB, _ := b.signer.PlaybackURL(alice, "video-a", mediaA, 0, time.Hour)
	for _, r := range []replica{a, b} {
		for _, url := range []string{before, afterA, afterB} {
			assert.Equal(t, http.StatusOK, status(r.gw, url), url)
		}
		// The MAC covers the key id: naming the other key breaks it.
		for _, url := range []string{before, afterA} {
			kid := token(url)[:8]
			other := map[string]string{old: rot.KID, rot.KID: old}[kid]
			assert.Equal(t, http.StatusForbidden, status(r.gw, strings.Replace(url, kid, other, 1)), "kid swapped in %s", url)
		}
	}

	f.clock.Set(exp.Add(-time.Second))
	assert.Equal(t, http.StatusOK, status(b.gw, before), "the old key's URL plays to its end")
	f.clock.Set(exp)
	resp := get(b.gw, http.MethodGet, before, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, string(body(t, resp)), "expired")
}

// TestUnknownKeyIDReloadsOnce: a token naming a key the replica has not
// loaded makes it reload the ring, at most once per reload interval
// however many such tokens arrive, so made-up key ids cannot flood the
// State.
func TestUnknownKeyIDReloadsOnce(t *testing.T) {
	f := newFixture(t)
	shared := openState(t)
	counted := &countingState{State: shared}
	a, b := newReplica(t, f, shared, media.KeyRingConfig{}), newReplica(t, f, counted, media.KeyRingConfig{})
	rot, err := a.signer.RotateKey(context.Background())
	require.NoError(t, err)
	f.clock.Set(rot.ActiveAt)
	url, _ := a.signer.PlaybackURL(alice, "video-a", mediaA, 0, time.Hour)
	require.Equal(t, rot.KID, token(url)[:8])

	reads := counted.reads.Load()
	assert.Equal(t, http.StatusOK, status(b.gw, url), "b learns the key from the URL")
	assert.Equal(t, reads+1, counted.reads.Load(), "with one read")
	assert.Equal(t, http.StatusOK, status(b.gw, url))
	assert.Equal(t, reads+1, counted.reads.Load(), "a known key reads nothing")

	madeUp := func(i int) string {
		return fmt.Sprintf("/media/Zz%06d", i) + token(url)[8:] + "/master.m3u8"
	}
	assert.Equal(t, http.StatusForbidden, status(b.gw, madeUp(0)))
	assert.Equal(t, reads+1, counted.reads.Load(), "no second reload within the interval")

	f.clock.Advance(media.DefaultKeyReloadInterval)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { assert.Equal(t, http.StatusForbidden, status(b.gw, madeUp(i))) })
	}
	wg.Wait()
	assert.Equal(t, reads+2, counted.reads.Load(), "twenty made-up ids at once: one reload")
}

// TestRunReloadsTheRing: a replica running Run picks up a rotation made
// elsewhere without any request asking for it.
func TestRunReloadsTheRing(t *testing.T) {
	f := newFixture(t)
	state := openState(t)
	cfg := media.KeyRingConfig{ReloadInterval: 20 * time.Millisecond, ActivationDelay: 50 * time.Millisecond}
	a, b := newReplica(t, f, state, cfg), newReplica(t, f, state, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.keys.Run(ctx) }()

	rot, err := a.signer.RotateKey(context.Background())
	require.NoError(t, err)
	f.clock.Set(rot.ActiveAt)
	require.Eventually(t, func() bool { return b.kid(t) == rot.KID }, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

// TestRetiredKeysStopVerifying: a key verifies for the longest URL
// lifetime (from the signer's maxTTL or PosterTTL, whichever is longer)
// plus the activation delay after a newer key took over, then nothing,
// even a token it signed with a far expiry; the next rotation drops it
// from the ring. The legacy key goes the same way, and two-part tokens
// with it. The key that signs is always kept.
func TestRetiredKeysStopVerifying(t *testing.T) {
	tests := []struct {
		maxTTL   time.Duration
		lifetime time.Duration
	}{
		{4 * time.Hour, media.PosterTTL + time.Hour + time.Second},
		{30 * time.Hour, 30*time.Hour + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.maxTTL.String(), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			state := openState(t)
			legacy := bytes.Repeat([]byte{3}, media.KeySize)
			require.NoError(t, platform.SetJSON(ctx, state, legacyStateKey, map[string][]byte{"key": legacy}, "", true))
			keys, err := media.LoadKeyRing(ctx, state, media.KeyRingConfig{Clock: f.clock.Now})
			require.NoError(t, err)
			signer, err := media.NewSigner(keys, tt.maxTTL)
			require.NoError(t, err)
			require.Equal(t, tt.lifetime, signer.Lifetime())
			gw := media.NewGateway(signer, f.blobs, nil, nil)
			first := readStoredRing(t, state).Keys[0]

			// Tokens the old key could not have signed in the URL lifetime:
			// what a leaked key would make.
			far := posterClaims(f.clock.Now().Add(10000 * time.Hour))
			leaked := []string{
				"/media/" + legacyToken(t, legacy, far) + "/poster.jpg",
				"/media/" + signedToken(t, first.KID, legacy, far) + "/poster.jpg",
			}
			rot, err := signer.RotateKey(ctx)
			require.NoError(t, err)
			cutoff := rot.ActiveAt.Add(tt.lifetime + media.DefaultKeyActivationDelay)

			f.clock.Set(cutoff.Add(-time.Second))
			for _, url := range leaked {
				assert.Equal(t, http.StatusOK, status(gw, url), "still within the window: %s", url)
			}
			kept, err := signer.RotateKey(ctx)
			require.NoError(t, err)
			assert.Contains(t, kept.Keys, first.KID, "not pruned within the window")

			f.clock.Set(cutoff)
			for _, url := range leaked {
				assert.Equal(t, http.StatusForbidden, status(gw, url), "retired: %s", url)
			}
			pruned, err := signer.RotateKey(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{rot.KID, kept.KID, pruned.KID}, pruned.Keys, "the legacy key is pruned")
			var stored []string
			for _, k := range readStoredRing(t, state).Keys {
				stored = append(stored, k.KID)
			}
			assert.Equal(t, pruned.Keys, stored)

			f.clock.Advance(100 * tt.lifetime)
			last, err := signer.RotateKey(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{pruned.KID, last.KID}, last.Keys, "the signing key stays, however old")
		})
	}
}

// TestRotationsAreBounded: the ring holds at most MaxKeys keys; a rotation
// past that is refused as rate limited, saying when the oldest retires,
// and succeeds once it has.
func TestRotationsAreBounded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for range media.MaxKeys - 1 {
		_, err := f.signer.RotateKey(ctx)
		require.NoError(t, err)
		f.clock.Advance(time.Minute)
	}
	before := readStoredRing(t, f.state).Keys
	require.Len(t, before, media.MaxKeys)

	_, err := f.signer.RotateKey(ctx)
	require.True(t, platform.Is(err, platform.KindRateLimited), "%v", err)
	retires := before[1].ActiveAt.Add(f.signer.Lifetime() + media.DefaultKeyActivationDelay)
	assert.Contains(t, platform.PublicMessage(err), retires.UTC().Format(time.RFC3339), "says when the oldest retires")
	assert.Equal(t, before, readStoredRing(t, f.state).Keys, "a refused rotation writes nothing")

	f.clock.Set(retires)
	rot, err := f.signer.RotateKey(ctx)
	require.NoError(t, err)
	assert.Len(t, rot.Keys, media.MaxKeys, "the oldest retired, the new one joined")
	assert.NotContains(t, rot.Keys, before[0].KID)
}
