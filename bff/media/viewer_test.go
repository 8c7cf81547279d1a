package media_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
)

// bob is another viewer, signed in at the same time as alice.
var bob = media.Viewer{UserID: "user-bob", IssuedAt: alice.IssuedAt}

// TestTokensAreBoundToTheirViewer: changing any claim of a signed link
// (viewer, issue time, video, media, kind, rendition, height, expiry) while
// keeping its signature is refused, so a link for one viewer or video
// cannot be made into another's.
func TestTokensAreBoundToTheirViewer(t *testing.T) {
	f := newFixture(t)
	play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 720, 10*time.Minute)
	dl, _ := f.signer.DownloadURL(alice, "video-a", mediaA, "720p", "x", 10*time.Minute)
	base := decodeClaims(t, token(play))
	require.Equal(t, alice.UserID, base["s"], "the link names its viewer")
	require.EqualValues(t, alice.IssuedAt.Unix(), base["i"], "and the access token's issue time")

	tests := []struct {
		name  string
		url   string
		claim string
		value any
	}{
		{"viewer", play, "s", bob.UserID},
		{"viewer removed", play, "s", nil},
		{"issue time moved later", play, "i", alice.IssuedAt.Add(time.Hour).Unix()},
		{"video", play, "v", "video-b"},
		{"media", play, "m", mediaB},
		{"kind", play, "k", "dl"},
		{"height lifted", play, "h", 0},
		{"expiry extended", play, "e", f.clock.Now().Add(100 * time.Hour).Unix()},
		{"download's rendition", dl, "r", "1080p"},
		{"download's viewer", dl, "s", bob.UserID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := token(tt.url)
			c := decodeClaims(t, tok)
			if tt.value == nil {
				delete(c, tt.claim)
			} else {
				c[tt.claim] = tt.value
			}
			kid, _, sig := parts(t, tok)
			bent := strings.Replace(tt.url, tok, kid+"."+encodeClaims(t, c)+"."+sig, 1)
			resp := get(f.gw, http.MethodGet, bent, nil)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, string(body(t, resp)))
		})
	}
	t.Run("untouched", func(t *testing.T) {
		for _, u := range []string{play, dl} {
			assert.Equal(t, http.StatusOK, get(f.gw, http.MethodGet, u, nil).StatusCode, u)
		}
	})
}

// TestRevocationStopsAViewersLinks: once a viewer's access tokens are
// revoked (password change, role change, ...) or the user is deleted, the
// playback and download links obtained with them stop working, down to
// the segments, while other viewers' links, the posters and the viewer's
// links from a newer sign-in keep working.
func TestRevocationStopsAViewersLinks(t *testing.T) {
	tests := []struct {
		name   string
		revoke func(f *fixture)
		// newLinksWork: a later sign-in gets working links again.
		newLinksWork bool
	}{
		{"tokens revoked", func(f *fixture) { f.revoked.Revoke(alice.UserID, f.clock.Now().Truncate(time.Second)) }, true},
		{"user deleted", func(f *fixture) { f.revoked.Delete(alice.UserID) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
			dl, _ := f.signer.DownloadURL(alice, "video-a", mediaA, "720p", "x", 10*time.Minute)
			playBob, _ := f.signer.PlaybackURL(bob, "video-a", mediaA, 0, 10*time.Minute)
			poster, _ := f.signer.PosterURL("video-a", mediaA)
			aliceLinks := []string{play, dir(play) + "720p/index.m3u8", dir(play) + "720p/seg-00001.ts", dl}
			for _, u := range append(aliceLinks, playBob, poster) {
				require.Equal(t, http.StatusOK, get(f.gw, http.MethodGet, u, nil).StatusCode, u)
			}

			f.clock.Advance(time.Minute)
			tt.revoke(f)
			for _, u := range aliceLinks {
				resp := get(f.gw, http.MethodGet, u, nil)
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, u)
				assert.Contains(t, string(body(t, resp)), "revoked")
			}
			for _, u := range []string{playBob, poster} {
				assert.Equal(t, http.StatusOK, get(f.gw, http.MethodGet, u, nil).StatusCode, "not alice's: %s", u)
			}

			f.clock.Advance(time.Minute)
			again := alice
			again.IssuedAt = f.clock.Now()
			fresh, _ := f.signer.PlaybackURL(again, "video-a", mediaA, 0, 10*time.Minute)
			want := http.StatusForbidden
			if tt.newLinksWork {
				want = http.StatusOK
			}
			assert.Equal(t, want, get(f.gw, http.MethodGet, fresh, nil).StatusCode, "a link from a newer sign-in")
		})
	}
}

func decodeClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	_, payload, _ := parts(t, tok)
	data, err := base64.RawURLEncoding.DecodeString(payload)
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(data, &c))
	return c
}

func encodeClaims(t *testing.T, c map[string]any) string {
	t.Helper()
	data, err := json.Marshal(c)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(data)
}
