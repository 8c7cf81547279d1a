package encoder

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePlaylists(t *testing.T) {
	media := "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.000000,\nseg-00000.ts\n#EXTINF:2.040000,\nseg-00001.ts\n#EXT-X-ENDLIST\n"
	segs := parseMedia(media)
	assert.Equal(t, []segment{{"seg-00000.ts", 4}, {"seg-00001.ts", 2.04}}, segs)
	assert.InDelta(t, 6.04, total(segs), 1e-9)

	master := "#EXTM3U\n#EXT-X-VERSION:6\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=580800,RESOLUTION=426x240,CODECS=\"avc1.640015,mp4a.40.2\"\n240p/index.m3u8\n\n" +
		"#EXT-X-STREAM-INF:BANDWIDTH=3220800,RESOLUTION=1280x720\n720p/index.m3u8\n"
	assert.Equal(t, map[string]variant{
		"240p/index.m3u8": {URI: "240p/index.m3u8", Bandwidth: 580800, Resolution: "426x240", Codecs: "avc1.640015,mp4a.40.2"},
		"720p/index.m3u8": {URI: "720p/index.m3u8", Bandwidth: 3220800, Resolution: "1280x720"},
	}, parseMaster(master))

	assert.Equal(t, "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-INDEPENDENT-SEGMENTS\n"+
		"#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=2x2,CODECS=\"avc1.64000a\"\na/index.m3u8\n",
		renderMaster([]variant{{URI: "a/index.m3u8", Bandwidth: 1, Resolution: "2x2", Codecs: "avc1.64000a"}}))

	assert.Equal(t, 8000, peakBitrate([]segment{{"a", 4}, {"b", 4}, {"c", 0.1}}, []int64{3000, 4000, 900}, 4),
		"a short last segment does not count")
}

func TestCodecsOf(t *testing.T) {
	assert.Equal(t, "avc1.64001f,mp4a.40.2", codecsOf("High", 31, "LC"))
	assert.Equal(t, "avc1.42c01e", codecsOf("Constrained Baseline", 30, ""))
	assert.Equal(t, "avc1.4d4028,mp4a.40.5", codecsOf("Main", 40, "HE-AAC"))
}

func TestProbeInfo(t *testing.T) {
	video := probeStream{CodecType: "video", CodecName: "h264", Width: 1920, Height: 1080}
	audio := probeStream{CodecType: "audio", CodecName: "aac"}
	cover := video
	cover.Disposition.AttachedPic = 1
	anamorphic := probeStream{CodecType: "video", Width: 720, Height: 480, SAR: "4:3"}
	rotated := video
	rotated.SideData = append(rotated.SideData, struct {
		Rotation float64 `json:"rotation"`
	}{Rotation: -90})
	cases := []struct {
		name    string
		streams []probeStream
		format  string
		dur     string
		want    sourceInfo
		reason  string
	}{
		{"video and audio", []probeStream{video, audio}, "mov,mp4", "6.0", sourceInfo{6, 1920, 1080, true}, ""},
		{"audio only", []probeStream{audio}, "mov,mp4", "3.0", sourceInfo{}, "no video stream (audio-only file)"},
		{"audio with cover art", []probeStream{audio, cover}, "mp3", "3.0", sourceInfo{}, "no video stream (audio-only file)"},
		{"nothing", nil, "tty", "1.0", sourceInfo{}, "not a video: no video or audio stream (tty)"},
		{"still image", []probeStream{video}, "png_pipe", "", sourceInfo{}, "not a video: a still image (h264)"},
		{"no duration", []probeStream{video}, "h264", "N/A", sourceInfo{}, "truncated or corrupt: the duration is unknown"},
		{"anamorphic", []probeStream{anamorphic}, "mpegts", "2", sourceInfo{2, 960, 480, false}, ""},
		{"rotated phone video", []probeStream{rotated}, "mov,mp4", "2", sourceInfo{2, 1080, 1920, false}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := probeOutput{Streams: tc.streams}
			p.Format.FormatName, p.Format.Duration = tc.format, tc.dur
			info, err := p.info()
			if tc.reason != "" {
				var me *mediaError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, tc.reason, me.reason)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, info)
		})
	}
}

func TestProbeFailure(t *testing.T) {
	cases := []struct {
		lines  []string
		reason string
	}{
		{[]string{"/w/source: Invalid data found when processing input"}, "not a video: Invalid data found when processing input"},
		{[]string{"[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d8192e91c0] moov atom not found", "/w/source: Invalid data found when processing input"},
			"truncated or corrupt: moov atom not found; Invalid data found when processing input"},
		{nil, "not a video: ffprobe cannot read it"},
		{[]string{"[hls @ 0x55cc5640c280] Format not on whitelist 'mov,mp4'", "/w/source: Invalid argument"},
			"not a video: hls is not an accepted container format"},
	}
	for _, tc := range cases {
		var me *mediaError
		require.ErrorAs(t, probeFailure(tc.lines, "/w/source"), &me)
		assert.Equal(t, tc.reason, me.reason)
	}
}

// TestMasterWithoutCodecs has ffmpeg write a real ladder, then takes the
// CODECS and a BANDWIDTH out of its master playlist: the master the encoder
// writes has them back, probed from the segments.
func TestMasterWithoutCodecs(t *testing.T) {
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI", tool)
			}
			t.Skipf("%s not found", tool)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "source.mp4")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25:duration=2",
		"-f", "lavfi", "-i", "sine=duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", src).CombinedOutput()
	require.NoError(t, err, "%s", out)
	s := &Service{cfg: Config{Preset: "ultrafast"}.withDefaults()}
	p := newPlan(s.cfg, sourceInfo{Duration: 2, Width: 640, Height: 360, HasAudio: true}, src, filepath.Join(dir, "out"))
	require.NoError(t, os.MkdirAll(p.path("hls"), 0o755))
	_, err = toolRun{name: "ffmpeg", args: p.ffmpegArgs()}.exec(context.Background())
	require.NoError(t, err)

	written, err := os.ReadFile(p.path(masterFile))
	require.NoError(t, err)
	ffmpegCodecs := regexp.MustCompile(`CODECS="([^"]+)"`).FindAllStringSubmatch(string(written), -1)
	require.Len(t, ffmpegCodecs, 2, "ffmpeg 5.1 writes CODECS itself:\n%s", written)
	stripped := regexp.MustCompile(`,CODECS="[^"]+"`).ReplaceAllString(string(written), "")
	stripped = regexp.MustCompile(`BANDWIDTH=\d+,(RESOLUTION=640)`).ReplaceAllString(stripped, "$1")
	require.NoError(t, os.WriteFile(p.path(masterFile), []byte(stripped), 0o644))

	rends, _, err := s.writeMaster(context.Background(), p)
	require.NoError(t, err)
	master, err := os.ReadFile(p.path(masterFile))
	require.NoError(t, err)
	require.Len(t, rends, 2)
	for i, r := range rends {
		assert.Equal(t, ffmpegCodecs[i][1], r.Codecs, "probed codecs match ffmpeg's")
		assert.Greater(t, r.Bandwidth, r.Width*1000/2, r.Name)
		assert.Contains(t, string(master), fmt.Sprintf("#EXT-X-STREAM-INF:BANDWIDTH=%d,RESOLUTION=%dx%d,CODECS=%q\n%s/index.m3u8\n",
			r.Bandwidth, r.Width, r.Height, r.Codecs, r.Name))
	}
}
