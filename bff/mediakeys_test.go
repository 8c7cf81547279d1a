package bff_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
)

// TestRotateMediaSigningKey: an admin adds a media signing key over
// GraphQL; it signs only from its activation on, and the URLs handed out
// before keep playing.
func TestRotateMediaSigningKey(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	playback := func() string {
		t.Helper()
		var out struct{ Playback struct{ ManifestURL string } }
		res := s.do(t, s.viewer.token, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": s.fixture.video})
		require.Empty(t, res.Errors, res.String())
		res.decode(t, &out)
		return out.Playback.ManifestURL
	}
	kidOf := func(url string) string {
		kid, _, ok := strings.Cut(strings.TrimPrefix(url, "/media/"), ".")
		require.True(t, ok, url)
		return kid
	}
	type rotation struct {
		Kid      string
		ActiveAt time.Time
		Keys     []string
	}
	rotate := func() rotation {
		t.Helper()
		var out struct{ RotateMediaSigningKey rotation }
		res := s.do(t, s.admin.token, `mutation { rotateMediaSigningKey { kid activeAt keys } }`, nil)
		require.Empty(t, res.Errors, res.String())
		res.decode(t, &out)
		return out.RotateMediaSigningKey
	}

	before := playback()
	old := kidOf(before)
	first := rotate()
	assert.NotEqual(t, old, first.Kid)
	assert.WithinDuration(t, time.Now().Add(media.DefaultKeyActivationDelay), first.ActiveAt, 5*time.Second)
	assert.Equal(t, []string{old, first.Kid}, first.Keys)
	second := rotate()
	assert.Equal(t, []string{old, first.Kid, second.Kid}, second.Keys, "nothing is pruned within a URL lifetime")

	after := playback()
	assert.Equal(t, old, kidOf(after), "the new keys do not sign before their activation")
	for _, url := range []string{before, after} {
		resp, body := s.get(t, url, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	}
}
