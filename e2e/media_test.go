package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/demo"
)

// mediaSession is an admin's session on one instance, for uploads.
type mediaSession struct {
	base  string
	admin *client
	tus   *demo.Client
}

func newMediaSession(t *testing.T, baseURL string) *mediaSession {
	t.Helper()
	token := login(t, newClient(baseURL), adminEmail, adminPassword)
	return &mediaSession{base: baseURL, admin: newClient(baseURL).withToken(token), tus: &demo.Client{BaseURL: baseURL, Token: token}}
}

// upload creates a video and uploads the file at path as its media in one go.
func (m *mediaSession) upload(t *testing.T, title, path string) string {
	t.Helper()
	video := newVideo(t, m.admin, title)
	url := m.createUpload(t, video, path)
	require.NoError(t, m.tus.UploadFile(context.Background(), url, path, 1<<20))
	return video
}

func (m *mediaSession) createUpload(t *testing.T, videoID, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	require.NoError(t, err)
	url, err := m.tus.CreateUpload(context.Background(), videoID, filepath.Base(path), st.Size())
	require.NoError(t, err)
	return url
}

// brokenReader yields n bytes of r, then fails as a dropped connection would.
type brokenReader struct {
	r io.Reader
	n int
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errors.New("connection dropped")
	}
	n, err := b.r.Read(p[:min(len(p), b.n)])
	b.n -= n
	return n, err
}

// TestMediaPipeline takes files from an admin's disk to a viewer's player in
// one process: bad files FAIL with their reason, a 1080p clip uploaded over
// tus with an interruption is followed over the websocket to READY, and its
// whole ladder is fetched through the signed URLs and checked with ffprobe.
func TestMediaPipeline(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	in := start(t, dataDir)
	m := newMediaSession(t, in.URL)

	// Bad files first: each fails with its own reason, and the encoder goes
	// on to the next job.
	text := filepath.Join(dir, "notes.mp4")
	require.NoError(t, os.WriteFile(text, bytes.Repeat([]byte("this is a text file, not a video\n"), 200), 0o600))
	truncated := filepath.Join(dir, "truncated.mp4")
	makeClip(t, truncated, "640x360", 6)
	st, err := os.Stat(truncated)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(truncated, st.Size()/2))
	// With the index at the front (faststart) a cut file still opens: the
	// encoder must notice the missing picture itself.
	cutFront := filepath.Join(dir, "cut-faststart.mp4")
	ffmpeg(t, "-i", truncatedSource(t, dir), "-c", "copy", "-movflags", "+faststart", cutFront)
	st, err = os.Stat(cutFront)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(cutFront, st.Size()/2))
	audio := filepath.Join(dir, "audio.mp4")
	ffmpeg(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "3", "-c:a", "aac", audio)
	bad := map[string]string{}
	for _, path := range []string{text, truncated, cutFront, audio} {
		bad[m.upload(t, "Bad "+filepath.Base(path), path)] = filepath.Base(path)
	}

	source := filepath.Join(dir, "clip-1080p.mp4")
	makeClip(t, source, "1920x1080", 6)
	video := newVideo(t, m.admin, "A 1080p clip")
	url := m.createUpload(t, video, source)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	stream := subscribeProgress(t, ctx, in.URL, m.tus.Token, video)
	uploadWithInterruption(t, m.tus, url, source)

	events := stream.until(t, ctx)
	require.NotEmpty(t, events)
	assert.Equal(t, "READY", events[len(events)-1].Status, "the stream ends READY: %+v", events)
	last, processing := -1.0, 0
	for _, e := range events {
		if e.Status == "PROCESSING" {
			processing++
			assert.GreaterOrEqual(t, e.Percent, last, "progress only goes forward")
			last = e.Percent
		}
	}
	assert.Positive(t, processing, "progress events arrived over the websocket: %+v", events)

	for id, name := range bad {
		status, reason := waitMedia(t, m.admin, id, time.Minute)
		assert.Equal(t, "FAILED", status, name)
		assert.NotEmpty(t, reason, name)
		t.Logf("%s: %s", name, reason)
		switch name {
		case "notes.mp4":
			assert.Contains(t, reason, "not a video")
		case "truncated.mp4", "cut-faststart.mp4":
			assert.Contains(t, reason, "truncated")
		case "audio.mp4":
			assert.Contains(t, reason, "no video stream")
		}
	}

	checkLadder(t, in.URL, m.admin, video, source, dataDir)
}

// truncatedSource makes a whole clip to cut.
func truncatedSource(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "whole.mp4")
	makeClip(t, path, "640x360", 6)
	return path
}

// uploadWithInterruption sends the first quarter of the file, breaks the
// next PATCH midway, asks the server where it stands (HEAD) and resumes
// from there in several more PATCHes.
func uploadWithInterruption(t *testing.T, tus *demo.Client, url, path string) {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	quarter := int64(len(data) / 4)
	offset, err := tus.Patch(ctx, url, 0, bytes.NewReader(data[:quarter]))
	require.NoError(t, err)
	require.Equal(t, quarter, offset)
	_, err = tus.Patch(ctx, url, offset, &brokenReader{r: bytes.NewReader(data[offset:]), n: int(quarter / 2)})
	require.Error(t, err, "the interrupted PATCH fails")
	resumeAt, err := tus.Offset(ctx, url)
	require.NoError(t, err)
	require.GreaterOrEqual(t, resumeAt, quarter, "nothing acknowledged is lost")
	require.Less(t, resumeAt, int64(len(data)))
	require.NoError(t, tus.UploadFile(ctx, url, path, quarter), "resume from the server's offset")
}

// checkLadder plays the video as a viewer: the signed master playlist,
// every rendition's playlist and segments (ffprobe: codec, resolution,
// duration within 0.5 s of the source), byte ranges against the files on
// disk, and a download.
func checkLadder(t *testing.T, base string, admin *client, video, source, dataDir string) {
	t.Helper()
	viewer := newClient(base)
	var reg struct{ Register authPayload }
	viewer.must(t, `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
		map[string]any{"i": map[string]any{"email": fmt.Sprintf("watcher%d@example.com", time.Now().UnixNano()), "password": "watch-it-all-123", "displayName": "W"}}, &reg)
	viewer = viewer.withToken(reg.Register.AccessToken)
	subscribeViewer(t, admin, viewer, 1080)
	var out struct {
		Playback struct {
			ManifestURL string
			Renditions  []struct {
				Name   string
				Height int
			}
		}
		Video struct{ Media struct{ ID string } }
	}
	viewer.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl renditions { name height } } video(id: $id) { media { id } } }`, map[string]any{"id": video}, &out)
	require.Len(t, out.Playback.Renditions, 5, "a 1080p source gets 240p to 1080p")
	code, master, hdr := fetch(t, base, out.Playback.ManifestURL, nil)
	require.Equal(t, http.StatusOK, code, string(master))
	assert.Equal(t, "application/vnd.apple.mpegurl", hdr.Get("Content-Type"))
	for _, attr := range []string{"BANDWIDTH=", "RESOLUTION=1920x1080", "CODECS=\"avc1.", "mp4a.40.2"} {
		assert.Contains(t, string(master), attr)
	}
	variants, _ := playlistEntries(master)
	require.Len(t, variants, 5)
	want := ffprobe(t, source).duration(t)
	tmp := t.TempDir()
	for _, variant := range variants {
		playlistURL := resolve(out.Playback.ManifestURL, variant)
		code, body, _ := fetch(t, base, playlistURL, nil)
		require.Equal(t, http.StatusOK, code)
		segments, durations := playlistEntries(body)
		require.NotEmpty(t, segments)
		wantHeight := mustAtoi(t, strings.TrimSuffix(strings.Split(variant, "/")[0], "p"))
		joined := filepath.Join(tmp, strings.ReplaceAll(variant, "/", "_")+".ts")
		f, err := os.Create(joined)
		require.NoError(t, err)
		for i, seg := range segments {
			assert.LessOrEqual(t, durations[i], 6.5, "segments of 4–6 s")
			code, data, hdr := fetch(t, base, resolve(playlistURL, seg), nil)
			require.Equal(t, http.StatusOK, code)
			assert.Equal(t, "video/mp2t", hdr.Get("Content-Type"))
			checkSegment(t, filepath.Join(tmp, "segment.ts"), data, wantHeight)
			_, err = f.Write(data)
			require.NoError(t, err)
		}
		require.NoError(t, f.Close())
		p := ffprobe(t, joined)
		vcodec, _, height := p.codec("video")
		acodec, _, _ := p.codec("audio")
		assert.Equal(t, "h264", vcodec, variant)
		assert.Equal(t, "aac", acodec, variant)
		assert.Equal(t, wantHeight, height, variant)
		assert.InDelta(t, want, p.duration(t), 0.5, "%s lasts as long as the source", variant)
	}
	checkRanges(t, base, out.Playback.ManifestURL, variants[0], mediaDir(dataDir, out.Video.Media.ID))
	checkDownload(t, base, viewer, video)
}

// checkSegment probes one segment on its own: H.264 at the rendition's
// height, with AAC audio.
func checkSegment(t *testing.T, path string, data []byte, height int) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, 0o600))
	p := ffprobe(t, path)
	vcodec, _, h := p.codec("video")
	acodec, _, _ := p.codec("audio")
	assert.Equal(t, "h264", vcodec)
	assert.Equal(t, "aac", acodec)
	assert.Equal(t, height, h)
}

// checkRanges fetches byte ranges of a segment and compares them with the
// file on disk.
func checkRanges(t *testing.T, base, manifestURL, variant, dir string) {
	t.Helper()
	playlistURL := resolve(manifestURL, variant)
	_, body, _ := fetch(t, base, playlistURL, nil)
	segments, _ := playlistEntries(body)
	seg := resolve(variant, segments[0])
	disk, err := os.ReadFile(filepath.Join(dir, "hls", filepath.FromSlash(seg)))
	require.NoError(t, err)
	require.Greater(t, len(disk), 1000)
	cases := []struct {
		header string
		want   []byte
	}{
		{"bytes=0-99", disk[:100]},
		{"bytes=500-", disk[500:]},
		{"bytes=-188", disk[len(disk)-188:]},
	}
	for _, tc := range cases {
		code, got, hdr := fetch(t, base, resolve(manifestURL, seg), http.Header{"Range": {tc.header}})
		require.Equal(t, http.StatusPartialContent, code, tc.header)
		assert.Equal(t, "bytes", hdr.Get("Accept-Ranges"))
		assert.True(t, bytes.Equal(tc.want, got), "%s returns exactly those bytes", tc.header)
	}
	code, _, _ := fetch(t, base, resolve(manifestURL, seg), http.Header{"Range": {fmt.Sprintf("bytes=%d-", len(disk)+10)}})
	assert.Equal(t, http.StatusRequestedRangeNotSatisfiable, code)
}

// checkDownload fetches the 480p rendition as one MP4.
func checkDownload(t *testing.T, base string, viewer *client, video string) {
	t.Helper()
	var out struct {
		Download struct {
			URL, Filename string
			Size          int64
		}
	}
	viewer.must(t, `query($id: ID!) { download(videoId: $id, rendition: "480p") { url filename size } }`, map[string]any{"id": video}, &out)
	code, data, hdr := fetch(t, base, out.Download.URL, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "video/mp4", hdr.Get("Content-Type"))
	assert.Contains(t, hdr.Get("Content-Disposition"), "attachment")
	assert.EqualValues(t, out.Download.Size, len(data))
	path := filepath.Join(t.TempDir(), out.Download.Filename)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	codec, _, height := ffprobe(t, path).codec("video")
	assert.Equal(t, "h264", codec)
	assert.Equal(t, 480, height)
}

// TestPlaybackTokensAreBoundToTheirVideo: a signed URL of video A reaches
// only A's media, however its path or token is bent; it names the viewer
// who asked, cannot be rewritten to name another, and stops working when
// that viewer is deleted, while other viewers' URLs play on.
func TestPlaybackTokensAreBoundToTheirVideo(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	in := start(t, filepath.Join(dir, "data"))
	m := newMediaSession(t, in.URL)
	ids := map[string]string{}
	for _, size := range []string{"320x240", "480x270"} {
		path := filepath.Join(dir, size+".mp4")
		makeClip(t, path, size, 2)
		ids[size] = m.upload(t, "Clip "+size, path)
	}
	urls := map[string]string{}
	media := map[string]string{}
	for size, id := range ids {
		status, reason := waitMedia(t, m.admin, id, 2*time.Minute)
		require.Equal(t, "READY", status, reason)
		var out struct {
			Playback struct{ ManifestURL string }
			Video    struct{ Media struct{ ID string } }
		}
		m.admin.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl } video(id: $id) { media { id } } }`, map[string]any{"id": id}, &out)
		urls[size], media[size] = out.Playback.ManifestURL, out.Video.Media.ID
	}
	a, b := urls["320x240"], urls["480x270"]
	tokenA := strings.Split(a, "/")[2]
	tokenB := strings.Split(b, "/")[2]
	claimsB, sigA := strings.Split(tokenB, ".")[0], strings.Split(tokenA, ".")[1]

	viewer := registerViewer(t, in.URL)
	subscribeViewer(t, m.admin, viewer, 1080)
	var who struct{ Me struct{ ID string } }
	viewer.must(t, `{ me { id } }`, nil, &who)
	var out struct{ Playback struct{ ManifestURL string } }
	viewer.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": ids["320x240"]}, &out)
	mine := out.Playback.ManifestURL
	require.NotEqual(t, a, mine, "the viewer's URL is not the admin's")
	var admin struct{ Me struct{ ID string } }
	m.admin.must(t, `{ me { id } }`, nil, &admin)
	asAdmin := renameSubject(t, mine, who.Me.ID, admin.Me.ID)

	for name, url := range map[string]string{
		"A's token, B's media by traversal":       "/media/" + tokenA + "/..%2f..%2f" + media["480x270"] + "/hls/master.m3u8",
		"A's token, encoded traversal":            "/media/" + tokenA + "/%2e%2e/%2e%2e/" + media["480x270"] + "/hls/master.m3u8",
		"B's claims with A's signature":           "/media/" + claimsB + "." + sigA + "/master.m3u8",
		"the viewer's URL renamed to the admin's": asAdmin,
	} {
		code, body, _ := fetch(t, in.URL, url, nil)
		assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound, http.StatusBadRequest}, code, "%s: %s", name, body)
		_, masterB, _ := fetch(t, in.URL, b, nil)
		assert.NotEqual(t, string(masterB), string(body), name)
	}
	code, _, _ := fetch(t, in.URL, a, nil)
	assert.Equal(t, http.StatusOK, code, "A's own URL works")
	code, _, _ = fetch(t, in.URL, mine, nil)
	require.Equal(t, http.StatusOK, code, "the viewer's own URL works")

	m.admin.must(t, `mutation($id: ID!) { deleteUser(userId: $id) }`, map[string]any{"id": who.Me.ID}, nil)
	require.Eventually(t, func() bool {
		code, _, _ := fetch(t, in.URL, mine, nil)
		return code == http.StatusForbidden
	}, 10*time.Second, 20*time.Millisecond, "a deleted viewer's URL stops working")
	code, _, _ = fetch(t, in.URL, a, nil)
	assert.Equal(t, http.StatusOK, code, "the admin's URL still works")
}

// renameSubject rewrites the viewer ("s") a media URL's claims name, keeping
// the signature.
func renameSubject(t *testing.T, url, from, to string) string {
	t.Helper()
	tok := strings.Split(url, "/")[2]
	parts := strings.Split(tok, ".") // key id, claims, signature
	require.Len(t, parts, 3, tok)
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	require.Contains(t, string(data), `"s":"`+from+`"`, "the URL names its viewer")
	bent := strings.Replace(string(data), `"s":"`+from+`"`, `"s":"`+to+`"`, 1)
	return strings.Replace(url, tok, parts[0]+"."+base64.RawURLEncoding.EncodeToString([]byte(bent))+"."+parts[2], 1)
}

// TestEncoderKilledMidJob: the process dies (kill -9) while a clip is
// being encoded; after a restart the job runs again and ends READY.
func TestEncoderKilledMidJob(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	in := start(t, dataDir)
	m := newMediaSession(t, in.URL)
	source := filepath.Join(dir, "long.mp4")
	makeClip(t, source, "1920x1080", 30)
	video := newVideo(t, m.admin, "Killed mid-job")
	url := m.createUpload(t, video, source)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stream := subscribeProgress(t, ctx, in.URL, m.tus.Token, video)
	require.NoError(t, m.tus.UploadFile(ctx, url, source, 8<<20))
	for {
		typ, payload := stream.read(t, ctx)
		require.Equal(t, "next", typ, string(payload))
		if strings.Contains(string(payload), `"PROCESSING"`) {
			break
		}
	}
	in.kill()

	again := start(t, dataDir)
	admin := newClient(again.URL).withToken(login(t, newClient(again.URL), adminEmail, adminPassword))
	status, reason := waitMedia(t, admin, video, 3*time.Minute)
	require.Equal(t, "READY", status, reason)
	var out struct {
		Playback struct{ ManifestURL string }
	}
	admin.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": video}, &out)
	code, master, _ := fetch(t, again.URL, out.Playback.ManifestURL, nil)
	require.Equal(t, http.StatusOK, code)
	variants, _ := playlistEntries(master)
	assert.Len(t, variants, 5)
}
