package bff_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// fixtureMediaID is the media the fixture video is READY with.
var fixtureMediaID = strings.Repeat("f", 64)

// mediaEvent delivers a media event to catalog's media subscription, as
// the bus would.
func (s *stack) mediaEvent(typ string, payload any) {
	s.t.Helper()
	ev, err := platform.NewEvent(encoder.AppID, encoder.Topic, typ, time.Now(), payload)
	require.NoError(s.t, err)
	for _, sub := range s.catalog.Subscriptions() {
		if sub.Name == catalog.SubscriptionMedia {
			require.NoError(s.t, sub.Handle(context.Background(), ev))
			return
		}
	}
	s.t.Fatal("catalog has no media subscription")
}

// markReady gives a video READY media with a 720p and a 360p rendition,
// and puts a master playlist and a download in the blobs.
func (s *stack) markReady(videoID, mediaID string) {
	s.t.Helper()
	s.mediaEvent(encoder.EventEncodingCompleted, encoder.EncodingCompleted{VideoID: videoID, MediaID: mediaID, Result: encoder.Result{
		DurationSeconds: 10, Width: 1280, Height: 720, HasAudio: true,
		Renditions: []encoder.Rendition{
			{Name: "360p", Width: 640, Height: 360, Bandwidth: 900_000, Codecs: "avc1.64001e,mp4a.40.2", DownloadSize: 11},
			{Name: "720p", Width: 1280, Height: 720, Bandwidth: 3_000_000, Codecs: "avc1.64001f,mp4a.40.2", DownloadSize: 22},
		},
	}})
	ctx := context.Background()
	for key, body := range map[string]string{
		"media/" + mediaID + "/hls/master.m3u8":    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\n720p/index.m3u8\n",
		"media/" + mediaID + "/hls/720p/seg.ts":    "segment bytes",
		"media/" + mediaID + "/mp4/720p.mp4":       "0123456789abcdefghijkl",
		"media/" + mediaID + "/hls/poster.jpg":     "jpeg",
		"media/" + mediaID + "/hls/thumbnails.jpg": "sprite",
	} {
		_, err := s.blobs.Put(ctx, key, strings.NewReader(body))
		require.NoError(s.t, err)
	}
}

// get fetches a root-relative URL from the test server.
func (s *stack) get(t *testing.T, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.http.URL+path, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestPlaybackAndDownload(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	var out struct {
		Playback struct {
			ManifestURL string
			ExpiresAt   time.Time
			Renditions  []struct{ Name string }
		}
		Download struct {
			URL, Filename string
			Size          int64
		}
		Video struct {
			Media struct {
				Status        string
				PosterURL     string
				ThumbnailsURL string
			}
		}
	}
	res := s.do(t, s.viewer.token, `query($id: ID!) {
		playback(videoId: $id) { manifestUrl expiresAt renditions { name } }
		download(videoId: $id, rendition: "720p") { url filename size }
		video(id: $id) { media { status posterUrl thumbnailsUrl } } }`, map[string]any{"id": s.fixture.video})
	require.Empty(t, res.Errors, res.String())
	res.decode(t, &out)
	assert.WithinDuration(t, time.Now().Add(bff.DefaultPlaybackTTL), out.Playback.ExpiresAt, time.Minute)
	assert.Equal(t, []struct{ Name string }{{"360p"}, {"720p"}}, out.Playback.Renditions)
	assert.Equal(t, "the-fixture-movie-720p.mp4", out.Download.Filename)
	assert.EqualValues(t, 22, out.Download.Size)
	assert.Equal(t, "READY", out.Video.Media.Status)

	resp, body := s.get(t, out.Playback.ManifestURL, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000\n720p/index.m3u8\n", body)
	resp, body = s.get(t, strings.TrimSuffix(out.Playback.ManifestURL, "master.m3u8")+"720p/seg.ts", http.Header{"Range": {"bytes=8-"}})
	require.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, "bytes", body)
	resp, body = s.get(t, out.Download.URL, http.Header{"Range": {"bytes=10-13"}})
	require.Equal(t, http.StatusPartialContent, resp.StatusCode)
	assert.Equal(t, "abcd", body)
	for _, u := range []string{out.Video.Media.PosterURL, out.Video.Media.ThumbnailsURL} {
		resp, _ = s.get(t, u, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, u)
	}
	resp, _ = s.get(t, strings.Replace(out.Playback.ManifestURL, "/media/", "/media/x", 1), nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a tampered token is refused")
}

func TestPlaybackErrors(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	fresh := s.newVideo(unique("No media yet"), true)
	cases := []struct {
		name, token, query string
		vars               map[string]any
		code               string
	}{
		{"no media", s.viewer.token, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": fresh}, bff.CodeMediaNotReady},
		{"download without media", s.viewer.token, `query($id: ID!) { download(videoId: $id, rendition: "720p") { url } }`, map[string]any{"id": fresh}, bff.CodeMediaNotReady},
		{"hidden draft", s.viewer.token, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": s.fixture.draft}, bff.CodeNotFound},
		{"unknown rendition", s.viewer.token, `query($id: ID!) { download(videoId: $id, rendition: "4k") { url } }`, map[string]any{"id": s.fixture.video}, bff.CodeBadUserInput},
		{"upload for unknown video", s.admin.token, `mutation { createUpload(videoId: "00000000-0000-4000-8000-000000000000", filename: "a.mp4", size: 10) { url } }`, nil, bff.CodeNotFound},
		{"upload with a bad filename", s.admin.token, `mutation($id: ID!) { createUpload(videoId: $id, filename: "../a.mp4", size: 10) { url } }`, map[string]any{"id": fresh}, bff.CodeBadUserInput},
		{"upload of nothing", s.admin.token, `mutation($id: ID!) { createUpload(videoId: $id, filename: "a.mp4", size: 0) { url } }`, map[string]any{"id": fresh}, bff.CodeBadUserInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := s.do(t, tc.token, tc.query, tc.vars)
			assert.Equal(t, tc.code, res.code(), res.String())
		})
	}
}

// TestUploadThroughTheBFF: createUpload, then tus PATCHes to the URL it
// returns; completion publishes upload-completed, which catalog records.
func TestUploadThroughTheBFF(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	video := s.newVideo(unique("Uploaded"), true)
	content := strings.Repeat("not really a video ", 1000)
	var out struct {
		CreateUpload struct{ URL string }
	}
	res := s.do(t, s.admin.token, `mutation($id: ID!, $size: Int64!) { createUpload(videoId: $id, filename: "clip.mp4", size: $size) { url } }`,
		map[string]any{"id": video, "size": len(content)})
	require.Empty(t, res.Errors, res.String())
	res.decode(t, &out)
	half := len(content) / 2
	for _, part := range []struct{ offset, end int }{{0, half}, {half, len(content)}} {
		req, err := http.NewRequest(http.MethodPatch, s.http.URL+out.CreateUpload.URL, strings.NewReader(content[part.offset:part.end]))
		require.NoError(t, err)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.Header.Set("Upload-Offset", strings.TrimSpace(jsonNumber(part.offset)))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
	}
	require.Eventually(t, func() bool {
		got, err := s.catalog.GetVideo(context.Background(), catalog.GetVideoRequest{Caller: s.adminCaller(), ID: video})
		return err == nil && got.Video.Media != nil && got.Video.Media.Status == catalog.MediaPending
	}, 10*time.Second, 20*time.Millisecond, "catalog records the upload as PENDING")
}

func jsonNumber(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestEncodingProgressSubscription follows a video's media over the
// websocket: the current state first, then the events, ending after READY.
func TestEncodingProgressSubscription(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	video := s.newVideo(unique("Encoding"), true)
	mediaID := strings.Repeat("e", 64)
	s.mediaEvent(encoder.EventUploadCompleted, encoder.UploadCompleted{VideoID: video, MediaID: mediaID, Filename: "a.mp4", Size: 10})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := connectWS(t, ctx, s, s.admin.token)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
		"query":     `subscription($id: ID!) { encodingProgress(videoId: $id) { videoId mediaId status percent reason } }`,
		"variables": map[string]any{"id": video}}}))
	type progress struct {
		VideoID, MediaID, Status string
		Percent                  float64
	}
	nextProgress := func() progress {
		t.Helper()
		m := read(t, ctx, c)
		require.Equal(t, "next", m.Type, string(m.Payload))
		var r struct {
			Data struct{ EncodingProgress progress }
		}
		require.NoError(t, json.Unmarshal(m.Payload, &r), string(m.Payload))
		return r.Data.EncodingProgress
	}
	assert.Equal(t, progress{VideoID: video, MediaID: mediaID, Status: "PENDING"}, nextProgress(), "the state catalog recorded comes first")

	publish := func(typ string, payload any) {
		ev, err := platform.NewEvent(encoder.AppID, encoder.Topic, typ, time.Now(), payload)
		require.NoError(t, err)
		require.NoError(t, s.bus.Publish(ctx, ev))
	}
	publish(encoder.EventEncodingProgress, encoder.EncodingProgress{VideoID: video, MediaID: mediaID, Percent: 42})
	p := nextProgress()
	assert.Equal(t, "PROCESSING", p.Status)
	assert.InDelta(t, 42, p.Percent, 0.01)
	publish(encoder.EventEncodingCompleted, encoder.EncodingCompleted{VideoID: video, MediaID: mediaID})
	assert.Equal(t, "READY", nextProgress().Status)
	assert.Equal(t, "complete", read(t, ctx, c).Type, "the stream ends after READY")
}

func TestEncodingProgressIsForAdmins(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connectWS(t, ctx, s, s.viewer.token)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
		"query": `subscription($id: ID!) { encodingProgress(videoId: $id) { status } }`, "variables": map[string]any{"id": s.fixture.video}}}))
	m := read(t, ctx, c)
	var res gqlResult
	if m.Type == "next" {
		require.NoError(t, json.Unmarshal(m.Payload, &res))
	} else {
		require.Equal(t, "error", m.Type)
		require.NoError(t, json.Unmarshal(m.Payload, &res.Errors))
	}
	assert.Equal(t, bff.CodeForbidden, res.code(), string(m.Payload))
}

// TestPlaybackEntitlements: playback needs a subscription; a plan caps the
// renditions listed and signed, and its concurrent streams.
func TestPlaybackEntitlements(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	ids := []string{s.fixture.video, s.newVideo(unique("Second"), true), s.newVideo(unique("Third"), true)}
	for _, id := range ids[1:] {
		s.markReady(id, fixtureMediaID)
	}
	play := `query($id: ID!) { playback(videoId: $id) { manifestUrl renditions { name } } }`

	nobody := s.register(strings.ReplaceAll(unique("nosub"), " ", "") + "@dflix.test")
	res := s.do(t, nobody.token, play, map[string]any{"id": ids[0]})
	assert.Equal(t, subscription.CodeSubscriptionRequired, res.code(), res.String())
	res = s.do(t, nobody.token, `query($id: ID!) { download(videoId: $id, rendition: "360p") { url } }`, map[string]any{"id": ids[0]})
	assert.Equal(t, subscription.CodeSubscriptionRequired, res.code(), res.String())

	basic := s.register(strings.ReplaceAll(unique("basic"), " ", "") + "@dflix.test")
	s.subscribe(platform.Caller{UserID: basic.id, Role: platform.RoleViewer}, s.newPlan("Basic", 480, 2))
	var out struct {
		Playback struct {
			ManifestURL string
			Renditions  []struct{ Name string }
		}
	}
	res = s.do(t, basic.token, play, map[string]any{"id": ids[0]})
	require.Empty(t, res.Errors, res.String())
	res.decode(t, &out)
	assert.Equal(t, []struct{ Name string }{{"360p"}}, out.Playback.Renditions, "720p is above the plan")
	resp, body := s.get(t, out.Playback.ManifestURL, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, body, "720p/index.m3u8")
	resp, _ = s.get(t, strings.TrimSuffix(out.Playback.ManifestURL, "master.m3u8")+"720p/seg.ts", nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "nor are its segments served")
	res = s.do(t, basic.token, `query($id: ID!) { download(videoId: $id, rendition: "720p") { url } }`, map[string]any{"id": ids[0]})
	assert.Equal(t, bff.CodeForbidden, res.code(), res.String())

	res = s.do(t, basic.token, play, map[string]any{"id": ids[1]})
	require.Empty(t, res.Errors, res.String())
	res = s.do(t, basic.token, play, map[string]any{"id": ids[2]})
	assert.Equal(t, subscription.CodeStreamLimitReached, res.code(), "a third stream on a two-stream plan: %s", res.String())
	res = s.do(t, basic.token, play, map[string]any{"id": ids[0]})
	assert.Empty(t, res.Errors, "the same video again is the same stream: %s", res.String())

	res = s.do(t, s.admin.token, play, map[string]any{"id": ids[2]})
	assert.Empty(t, res.Errors, res.String())
}

// TestPlaybackLinksDieWithTheirViewersTokens: a playback URL names the
// viewer who asked, so two viewers get different URLs for one video, and
// once auth revokes a viewer's tokens (role change, deletion) the event
// stops that viewer's URLs, segments included, and nobody else's.
func TestPlaybackLinksDieWithTheirViewersTokens(t *testing.T) {
	tests := []struct {
		name   string
		revoke string
	}{
		{"role changed", `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }`},
		{"user deleted", `mutation($id: ID!) { deleteUser(userId: $id) }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{serveTCP: true})
			victim := s.registerVictim("player")
			s.subscribe(platform.Caller{UserID: victim.id, Role: platform.RoleViewer}, s.fixture.plan)
			manifest := func(token string) string {
				t.Helper()
				var out struct{ Playback struct{ ManifestURL string } }
				res := s.do(t, token, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": s.fixture.video})
				require.Empty(t, res.Errors, res.String())
				res.decode(t, &out)
				return out.Playback.ManifestURL
			}
			mine, other := manifest(victim.token), manifest(s.viewer.token)
			require.NotEqual(t, mine, other, "each viewer's URL is their own")
			segment := func(u string) string { return strings.TrimSuffix(u, "master.m3u8") + "720p/seg.ts" }
			for _, u := range []string{mine, segment(mine), other} {
				resp, body := s.get(t, u, nil)
				require.Equal(t, http.StatusOK, resp.StatusCode, body)
			}

			res := s.do(t, s.admin.token, tt.revoke, map[string]any{"id": victim.id})
			require.Empty(t, res.Errors, res.String())
			require.Eventually(t, func() bool {
				resp, _ := s.get(t, segment(mine), nil)
				return resp.StatusCode == http.StatusForbidden
			}, 10*time.Second, 10*time.Millisecond, "the victim's segments are refused once the event arrives")
			resp, body := s.get(t, mine, nil)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, body)
			resp, body = s.get(t, segment(other), nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "another viewer's URL still plays: %s", body)
		})
	}
}
