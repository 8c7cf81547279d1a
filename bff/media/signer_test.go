package media_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/media"
)

func TestURLsHaveTheirShape(t *testing.T) {
	f := newFixture(t)
	tokenPattern := `[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}`

	url, exp := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 90*time.Second+time.Millisecond)
	assert.Regexp(t, `^/media/`+tokenPattern+`/master\.m3u8$`, url)
	assert.Equal(t, f.clock.Now().Add(91*time.Second), exp, "rounded up to a whole second")

	url, exp = f.signer.DownloadURL(alice, "video-a", mediaA, "720p", "My Movie", time.Hour)
	assert.Regexp(t, `^/media/`+tokenPattern+`/My%20Movie\.mp4$`, url)
	assert.Equal(t, f.clock.Now().Add(time.Hour), exp)

	url, _ = f.signer.DownloadURL(alice, "video-a", mediaA, "720p", "../etc/passwd.mp4", time.Hour)
	assert.True(t, strings.HasSuffix(url, "/.._etc_passwd.mp4"), url)
	url, _ = f.signer.DownloadURL(alice, "video-a", mediaA, "720p", " ", time.Hour)
	assert.True(t, strings.HasSuffix(url, "/video-720p.mp4"), url)
}

func TestPosterURLIsStableForAnHour(t *testing.T) {
	f := newFixture(t)
	at := func(hh, mm, ss int) (string, time.Time) {
		f.clock.Set(time.Date(2030, 5, 6, hh, mm, ss, 0, time.UTC))
		return f.signer.PosterURL("video-a", mediaA)
	}
	first, exp := at(10, 0, 1)
	assert.Regexp(t, `^/media/[^/]+/poster\.jpg$`, first)
	assert.Equal(t, time.Date(2030, 5, 7, 11, 0, 0, 0, time.UTC), exp)
	same, _ := at(10, 59, 59)
	assert.Equal(t, first, same)
	next, exp := at(11, 0, 1)
	assert.NotEqual(t, first, next)
	assert.Equal(t, time.Date(2030, 5, 7, 12, 0, 0, 0, time.UTC), exp)
	_, exp = at(11, 0, 0)
	assert.Equal(t, time.Date(2030, 5, 7, 11, 0, 0, 0, time.UTC), exp, "on the hour")

	for _, name := range []string{"poster.jpg", "thumbnails.jpg"} {
		resp := get(f.gw, http.MethodGet, dir(first)+name, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, name)
		assert.Equal(t, f.files["media/"+mediaA+"/hls/"+name], body(t, resp))
		assert.Equal(t, "image/jpeg", resp.Header.Get("Content-Type"))
	}
}

func TestTokensAreChecked(t *testing.T) {
	f := newFixture(t)
	play, _ := f.signer.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	poster, _ := f.signer.PosterURL("video-a", mediaA)
	tok := token(play)
	kid, claims, sig := parts(t, tok)
	playB, _ := f.signer.PlaybackURL(alice, "video-b", mediaB, 0, 10*time.Minute)
	_, claimsB, _ := parts(t, token(playB))
	otherRing, err := media.LoadKeyRing(context.Background(), openState(t), media.KeyRingConfig{Clock: f.clock.Now})
	require.NoError(t, err)
	otherKey, err := media.NewSigner(otherRing, time.Hour)
	require.NoError(t, err)
	forged, _ := otherKey.PlaybackURL(alice, "video-a", mediaA, 0, 10*time.Minute)
	_, forgedClaims, forgedSig := parts(t, token(forged))
	badMedia, _ := f.signer.PlaybackURL(alice, "video-a", "../"+mediaB, 0, 10*time.Minute)
	badRendition, _ := f.signer.DownloadURL(alice, "video-a", mediaA, "../hls/master", "x", 10*time.Minute)

	tests := []struct {
		name   string
		target string
		status int
	}{
		{"valid", play, http.StatusOK},
		{"claims tampered", "/media/" + kid + "." + flip(claims, 5) + "." + sig + "/master.m3u8", http.StatusForbidden},
		{"signature tampered", "/media/" + kid + "." + claims + "." + flip(sig, 3) + "/master.m3u8", http.StatusForbidden},
		{"signature cut", "/media/" + kid + "." + claims + "." + sig[:20] + "/master.m3u8", http.StatusForbidden},
		{"no signature", "/media/" + kid + "." + claims + "/master.m3u8", http.StatusForbidden},
		{"no key id", "/media/" + claims + "." + sig + "/master.m3u8", http.StatusForbidden},
		{"key id tampered", "/media/" + flip(kid, 2) + "." + claims + "." + sig + "/master.m3u8", http.StatusForbidden},
		{"key id cut", "/media/" + kid[1:] + "." + claims + "." + sig + "/master.m3u8", http.StatusForbidden},
		{"an extra part", "/media/" + kid + "." + kid + "." + claims + "." + sig + "/master.m3u8", http.StatusForbidden},
		{"garbage", "/media/not-a-token/master.m3u8", http.StatusForbidden},
		{"another key", forged, http.StatusForbidden},
		{"another key's token naming this key", "/media/" + kid + "." + forgedClaims + "." + forgedSig + "/master.m3u8", http.StatusForbidden},
		{"signed path in the media id", badMedia, http.StatusForbidden},
		{"signed path in the rendition", badRendition, http.StatusForbidden},
		{"B's claims with A's signature", "/media/" + kid + "." + claimsB + "." + sig + "/master.m3u8", http.StatusForbidden},
		{"A's token on B's path", dir(play) + "..%2F..%2F" + mediaB + "%2Fhls%2Fmaster.m3u8", http.StatusForbidden},
		{"A's token on B's path, plain", dir(play) + "../../" + mediaB + "/hls/master.m3u8", http.StatusForbidden},
		{"poster token on the ladder", dir(poster) + "master.m3u8", http.StatusForbidden},
		{"poster token on a segment", dir(poster) + "720p/seg-00001.ts", http.StatusForbidden},
		{"poster token on the download", dir(poster) + "720p.mp4", http.StatusForbidden},
		{"no path", dir(play), http.StatusNotFound},
		{"no token", "/media//master.m3u8", http.StatusNotFound},
		{"outside the prefix", "/other/" + tok + "/master.m3u8", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(f.gw, http.MethodGet, tt.target, nil)
			got := string(body(t, resp))
			require.Equal(t, tt.status, resp.StatusCode, got)
			if tt.status != http.StatusOK {
				assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
				assert.NotContains(t, got, "#EXTM3U")
			} else {
				assert.Contains(t, got, mediaA, "A's token reads A")
			}
		})
	}

	t.Run("expired", func(t *testing.T) {
		f.clock.Advance(10*time.Minute - time.Second)
		assert.Equal(t, http.StatusOK, get(f.gw, http.MethodGet, play, nil).StatusCode)
		f.clock.Advance(time.Second)
		resp := get(f.gw, http.MethodGet, play, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.Contains(t, string(body(t, resp)), "expired")
	})
}

// flip changes the character at i of a base64url string.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
