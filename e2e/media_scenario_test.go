package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mediaScenario is the media path every deployment shape must pass: an
// admin uploads a clip over tus in several PATCHes, follows it over the
// websocket to READY, and a viewer plays it through the signed URLs, with
// byte ranges. It returns the READY video.
func mediaScenario(t *testing.T, baseURL string) string {
	t.Helper()
	requireFFmpeg(t)
	dir := t.TempDir()
	m := newMediaSession(t, baseURL)
	source := filepath.Join(dir, "clip.mp4")
	// A distinct clip each run: the media id is the content hash.
	makeClip(t, source, "640x360", 3+int(time.Now().UnixNano()%3))
	video := newVideo(t, m.admin, "Scenario clip "+time.Now().Format(time.RFC3339Nano))
	url := m.createUpload(t, video, source)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stream := subscribeProgress(t, ctx, baseURL, m.tus.Token, video)
	st, err := os.Stat(source)
	require.NoError(t, err)
	require.NoError(t, m.tus.UploadFile(ctx, url, source, st.Size()/3+1), "three PATCHes")
	events := stream.until(t, ctx)
	require.NotEmpty(t, events)
	require.Equal(t, "READY", events[len(events)-1].Status, "%+v", events)

	var out struct {
		Playback struct{ ManifestURL string }
	}
	m.admin.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": video}, &out)
	code, master, _ := fetch(t, baseURL, out.Playback.ManifestURL, nil)
	require.Equal(t, http.StatusOK, code, string(master))
	variants, _ := playlistEntries(master)
	require.Len(t, variants, 2, "a 360p source gets 240p and 360p")
	playlistURL := resolve(out.Playback.ManifestURL, variants[len(variants)-1])
	code, body, _ := fetch(t, baseURL, playlistURL, nil)
	require.Equal(t, http.StatusOK, code)
	segments, _ := playlistEntries(body)
	require.NotEmpty(t, segments)
	code, whole, _ := fetch(t, baseURL, resolve(playlistURL, segments[0]), nil)
	require.Equal(t, http.StatusOK, code)
	require.Greater(t, len(whole), 1000)
	code, part, _ := fetch(t, baseURL, resolve(playlistURL, segments[0]), http.Header{"Range": {"bytes=100-499"}})
	require.Equal(t, http.StatusPartialContent, code)
	assert.True(t, bytes.Equal(whole[100:500], part), "a range returns exactly those bytes")
	return video
}
