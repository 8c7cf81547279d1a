package media_test

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

func openState(t *testing.T) *embedded.State {
	t.Helper()
	state, err := embedded.OpenState(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	return state
}

func TestLoadKeyIsSharedByReplicas(t *testing.T) {
	state := openState(t)
	const replicas = 8
	keys := make([][]byte, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			k, err := media.LoadKey(context.Background(), state)
			assert.NoError(t, err)
			keys[i] = k
		})
	}
	wg.Wait()
	require.Len(t, keys[0], media.KeySize)
	for _, k := range keys {
		assert.Equal(t, keys[0], k, "every replica starting at once agrees")
	}
	again, err := media.LoadKey(context.Background(), state)
	require.NoError(t, err)
	assert.Equal(t, keys[0], again, "a restart keeps the key")

	// A URL signed on one replica is served by another.
	f := newFixture(t)
	one, err := media.NewSigner(keys[1], f.clock.Now)
	require.NoError(t, err)
	two, err := media.NewSigner(keys[2], f.clock.Now)
	require.NoError(t, err)
	url, _ := one.PlaybackURL(alice, "video-a", mediaA, 0, 0x7fffffff)
	resp := get(media.NewGateway(two, f.blobs, nil, nil), http.MethodGet, url, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestLoadKeyRefusesACorruptKey(t *testing.T) {
	state := openState(t)
	require.NoError(t, platform.SetJSON(context.Background(), state, "media-signing-key", map[string][]byte{"key": []byte("short")}, "", false))
	_, err := media.LoadKey(context.Background(), state)
	assert.Equal(t, platform.KindInternal, platform.KindOf(err))
}

func TestNewSignerRefusesAShortKey(t *testing.T) {
	_, err := media.NewSigner(make([]byte, media.KeySize-1), nil)
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err))
}
