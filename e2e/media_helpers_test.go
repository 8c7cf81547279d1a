package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"
)

// requireFFmpeg skips a media test where ffmpeg is missing, except in CI,
// where scripts/infra.sh install ffmpeg provides it and its absence fails.
func requireFFmpeg(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s not found: make test installs it (scripts/infra.sh install ffmpeg)", tool)
			}
			t.Skipf("%s not found (scripts/infra.sh install ffmpeg)", tool)
		}
	}
}

// ffmpeg runs ffmpeg with args and fails the test on error.
func ffmpeg(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...)...).CombinedOutput()
	require.NoError(t, err, "ffmpeg %v: %s", args, out)
}

// makeClip writes a test-pattern clip with a tone: H.264/AAC MP4.
func makeClip(t *testing.T, path, size string, seconds int) {
	t.Helper()
	ffmpeg(t, "-f", "lavfi", "-i", "testsrc2=size="+size+":rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", path)
}

// probe is what ffprobe says of a file's first video stream and format.
type probe struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path).Output()
	require.NoError(t, err, "ffprobe %s", path)
	var p probe
	require.NoError(t, json.Unmarshal(out, &p))
	return p
}

func (p probe) duration(t *testing.T) float64 {
	t.Helper()
	d, err := strconv.ParseFloat(p.Format.Duration, 64)
	require.NoError(t, err, "duration %q", p.Format.Duration)
	return d
}

func (p probe) codec(kind string) (string, int, int) {
	for _, s := range p.Streams {
		if s.CodecType == kind {
			return s.CodecName, s.Width, s.Height
		}
	}
	return "", 0, 0
}

// fetch GETs url (root-relative to base) and returns the status and body.
func fetch(t *testing.T, base, url string, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	if strings.HasPrefix(url, "/") {
		url = base + url
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body, resp.Header
}

// playlistEntries returns the URI lines of an m3u8 playlist, and for a
// media playlist the EXTINF durations.
func playlistEntries(body []byte) (uris []string, durations []float64) {
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "#EXTINF:"):
			d, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(line, "#EXTINF:"), ","), 64)
			durations = append(durations, d)
		case line != "" && !strings.HasPrefix(line, "#"):
			uris = append(uris, line)
		}
	}
	return uris, durations
}

// resolve joins a relative playlist URI to the URL of its playlist.
func resolve(playlistURL, uri string) string {
	return playlistURL[:strings.LastIndex(playlistURL, "/")+1] + uri
}

// progressStream is an encodingProgress subscription over graphql-ws.
type progressStream struct {
	conn *websocket.Conn
}

type progressEvent struct {
	Status  string  `json:"status"`
	Percent float64 `json:"percent"`
	Reason  *string `json:"reason"`
}

// subscribeProgress opens the websocket with the token in connection_init
// and subscribes to a video's encoding progress.
func subscribeProgress(t *testing.T, ctx context.Context, baseURL, token, videoID string) *progressStream {
	t.Helper()
	url := "ws" + strings.TrimPrefix(baseURL, "http") + "/graphql"
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}))
	s := &progressStream{conn: c}
	typ, _ := s.read(t, ctx)
	require.Equal(t, "connection_ack", typ)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
		"query":     `subscription($id: ID!) { encodingProgress(videoId: $id) { status percent reason } }`,
		"variables": map[string]any{"id": videoID}}}))
	return s
}

func (s *progressStream) read(t *testing.T, ctx context.Context) (string, json.RawMessage) {
	t.Helper()
	for {
		var m struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		require.NoError(t, wsjson.Read(ctx, s.conn, &m))
		if m.Type != "ping" && m.Type != "pong" {
			return m.Type, m.Payload
		}
	}
}

// until reads progress events until the stream completes, and returns them.
func (s *progressStream) until(t *testing.T, ctx context.Context) []progressEvent {
	t.Helper()
	var events []progressEvent
	for {
		typ, payload := s.read(t, ctx)
		if typ == "complete" {
			return events
		}
		require.Equal(t, "next", typ, string(payload))
		var r struct {
			Data   struct{ EncodingProgress progressEvent } `json:"data"`
			Errors []gqlError                               `json:"errors"`
		}
		require.NoError(t, json.Unmarshal(payload, &r))
		require.Empty(t, r.Errors, string(payload))
		events = append(events, r.Data.EncodingProgress)
	}
}

// waitMedia polls a video's media until its status is final.
func waitMedia(t *testing.T, c *client, videoID string, within time.Duration) (status, reason string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var out struct {
			Video struct {
				Media *struct {
					Status string
					Reason *string
				}
			}
		}
		c.must(t, `query($id: ID!) { video(id: $id) { media { status reason } } }`, map[string]any{"id": videoID}, &out)
		if m := out.Video.Media; m != nil && (m.Status == "READY" || m.Status == "FAILED") {
			if m.Reason != nil {
				return m.Status, *m.Reason
			}
			return m.Status, ""
		}
		time.Sleep(200 * time.Millisecond) // polling a remote state, with a deadline
	}
	t.Fatalf("video %s not READY or FAILED within %s", videoID, within)
	return "", ""
}

// newVideo creates and publishes a video as the admin.
func newVideo(t *testing.T, admin *client, title string) string {
	t.Helper()
	var out struct {
		CreateVideo struct{ ID string }
	}
	admin.must(t, `mutation($t: String!) { createVideo(input: {title: $t, releaseYear: 2024, durationSeconds: 10, ageRating: PG}) { id } }`,
		map[string]any{"t": title}, &out)
	admin.must(t, `mutation($id: ID!) { publishVideo(id: $id) { id } }`, map[string]any{"id": out.CreateVideo.ID}, nil)
	return out.CreateVideo.ID
}

// mediaDir is where the embedded blobs of a data dir keep a media's files.
func mediaDir(dataDir, mediaID string) string {
	return filepath.Join(dataDir, "blobs", "media", mediaID)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err, fmt.Sprintf("%q", s))
	return n
}
