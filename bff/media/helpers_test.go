package media_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// Two media: A is the one tokens are signed for, B another video's.
const (
	mediaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	mediaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// alice is the viewer the fixture's links are for; her access token was
// issued a minute before the fixture's clock starts.
var alice = media.Viewer{UserID: "user-alice", IssuedAt: time.Date(2030, 5, 6, 10, 19, 30, 0, time.UTC)}

// testClock is a clock that tests move by hand.
type testClock struct{ now atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.now.Store(t.UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.now.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.now.Add(int64(d)) }
func (c *testClock) Set(t time.Time)         { c.now.Store(t.UnixNano()) }

// fixture is a gateway over embedded blobs holding media A and B.
type fixture struct {
	t      *testing.T
	blobs  *embedded.Blobs
	clock  *testClock
	state  *embedded.State // the BFF's State, holding the key ring
	keys   *media.KeyRing
	signer *media.Signer
	gw     *media.Gateway
	// revoked is the BFF's own revocation list, which the gateway consults.
	revoked *authn.Revocations
	files   map[string][]byte // blob key -> bytes
}

// fixtureMaxTTL is the longest playback or download URL the fixture's
// signer issues.
const fixtureMaxTTL = 72 * time.Hour

func openState(t *testing.T) *embedded.State {
	t.Helper()
	state, err := embedded.OpenState(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	return state
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	blobs, err := embedded.OpenBlobs(filepath.Join(t.TempDir(), "blobs"))
	require.NoError(t, err)
	clock := newTestClock(time.Date(2030, 5, 6, 10, 20, 30, 0, time.UTC))
	state := openState(t)
	keys, err := media.LoadKeyRing(context.Background(), state, media.KeyRingConfig{Clock: clock.Now})
	require.NoError(t, err)
	signer, err := media.NewSigner(keys, fixtureMaxTTL)
	require.NoError(t, err)
	f := &fixture{t: t, blobs: blobs, clock: clock, state: state, keys: keys, signer: signer, files: map[string][]byte{}}
	f.revoked = authn.NewRevocations(clock.Now, 24*time.Hour, nil)
	f.gw = media.NewGateway(signer, blobs, f.revoked, nil)
	for i, m := range []string{mediaA, mediaB} {
		seed := uint64(i + 1)
		f.put("media/"+m+"/source", platformtest.RandomBytes(5_000, seed))
		f.put("media/"+m+"/hls/master.m3u8", []byte("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2800000\n720p/index.m3u8\n# "+m+"\n"))
		f.put("media/"+m+"/hls/720p/index.m3u8", []byte("#EXTM3U\n#EXTINF:4.0,\nseg-00001.ts\n"))
		f.put("media/"+m+"/hls/720p/seg-00001.ts", platformtest.RandomBytes(100_000, seed+10))
		f.put("media/"+m+"/hls/720p/init.m4s", platformtest.RandomBytes(1_000, seed+20))
		f.put("media/"+m+"/hls/poster.jpg", platformtest.RandomBytes(3_000, seed+30))
		f.put("media/"+m+"/hls/thumbnails.jpg", platformtest.RandomBytes(4_000, seed+40))
		f.put("media/"+m+"/hls/subs.vtt", []byte("WEBVTT\n"))
		f.put("media/"+m+"/mp4/720p.mp4", platformtest.RandomBytes(200_000, seed+50))
	}
	return f
}

func (f *fixture) put(key string, data []byte) {
	f.t.Helper()
	_, err := f.blobs.Put(context.Background(), key, bytes.NewReader(data))
	require.NoError(f.t, err)
	f.files[key] = data
}

// get sends one request to h.
func get(h http.Handler, method, target string, header http.Header) *http.Response {
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return b
}

// dir returns the URL prefix "/media/<token>/" of a signed URL.
func dir(url string) string {
	return url[:len("/media/")+len(token(url))+1]
}

// token returns the token of a signed URL.
func token(url string) string {
	rest := url[len("/media/"):]
	for i := range len(rest) {
		if rest[i] == '/' {
			return rest[:i]
		}
	}
	return rest
}

// parts splits a token into its key id, claims and signature.
func parts(t *testing.T, tok string) (kid, claims, sig string) {
	t.Helper()
	p := strings.Split(tok, ".")
	require.Len(t, p, 3, tok)
	return p[0], p[1], p[2]
}
