package encoder_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
)

// probed is the part of ffprobe's description the tests check.
type probed struct {
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

// ffprobe describes a file (or a playlist with its segments).
func ffprobe(t testing.TB, file string) probed {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", file).Output()
	require.NoError(t, err, "ffprobe %s", file)
	var p probed
	require.NoError(t, json.Unmarshal(out, &p))
	return p
}

// duration is the probed duration in seconds.
func (p probed) duration() float64 {
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return d
}

// codecs returns "type:codec" of every stream, and the video's size.
func (p probed) codecs() ([]string, int, int) {
	var out []string
	w, h := 0, 0
	for _, s := range p.Streams {
		out = append(out, s.CodecType+":"+s.CodecName)
		if s.CodecType == "video" {
			w, h = s.Width, s.Height
		}
	}
	return out, w, h
}

// blobFile is where the embedded blob store keeps key.
func (h *harness) blobFile(key string) string {
	return filepath.Join(h.dir, "blobs", filepath.FromSlash(key))
}

// blobText reads a blob.
func (h *harness) blobText(key string) string {
	h.t.Helper()
	r, err := h.blobs.Open(ctx, key)
	require.NoError(h.t, err)
	defer r.Close()
	data, err := io.ReadAll(r)
	require.NoError(h.t, err)
	return string(data)
}

// extinf returns the segment durations of a media playlist.
func extinf(t testing.TB, playlist string) []float64 {
	t.Helper()
	var out []float64
	for _, m := range regexp.MustCompile(`#EXTINF:([\d.]+),`).FindAllStringSubmatch(playlist, -1) {
		d, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		out = append(out, d)
	}
	return out
}

// checkRendition checks one rendition's HLS and MP4 against the source.
func checkRendition(t *testing.T, h *harness, r encoder.Rendition, audio bool, duration float64, seg int) {
	t.Helper()
	want := []string{"video:h264"}
	if audio {
		want = append(want, "audio:aac")
	}
	for _, key := range []string{r.PlaylistKey, r.DownloadKey} {
		p := ffprobe(t, h.blobFile(key))
		codecs, w, hgt := p.codecs()
		assert.ElementsMatch(t, want, codecs, key)
		assert.Equal(t, [2]int{r.Width, r.Height}, [2]int{w, hgt}, key)
		assert.InDelta(t, duration, p.duration(), 0.5, key)
	}
	segs := extinf(t, h.blobText(r.PlaylistKey))
	require.NotEmpty(t, segs)
	var sum float64
	for i, d := range segs {
		sum += d
		if i < len(segs)-1 {
			assert.InDelta(t, float64(seg), d, 0.1, "segment %d of %s", i, r.Name)
		} else {
			assert.LessOrEqual(t, d, float64(seg)+0.1, "last segment of %s", r.Name)
		}
	}
	assert.InDelta(t, duration, sum, 0.5, "total duration of %s", r.Name)
	info, err := h.blobs.Stat(ctx, r.DownloadKey)
	require.NoError(t, err)
	assert.Equal(t, info.Size, r.DownloadSize)
	head := make([]byte, 64<<10)
	f, err := os.Open(h.blobFile(r.DownloadKey))
	require.NoError(t, err)
	n, _ := io.ReadFull(f, head)
	_ = f.Close()
	moov, mdat := bytes.Index(head[:n], []byte("moov")), bytes.Index(head[:n], []byte("mdat"))
	assert.True(t, moov >= 0 && moov < mdat, "%s: the index (moov) comes before the media (mdat)", r.DownloadKey)
}

// checkMaster checks that the master playlist lists every rendition with
// BANDWIDTH, RESOLUTION and CODECS.
func checkMaster(t *testing.T, master string, rends []encoder.Rendition, audio bool) {
	t.Helper()
	assert.True(t, strings.HasPrefix(master, "#EXTM3U\n"), master)
	assert.Equal(t, len(rends), strings.Count(master, "#EXT-X-STREAM-INF:"), master)
	codecs := `avc1\.[0-9a-f]{6}`
	if audio {
		codecs += `,mp4a\.40\.2`
	}
	for _, r := range rends {
		pattern := fmt.Sprintf(`(?m)^#EXT-X-STREAM-INF:BANDWIDTH=%d,RESOLUTION=%dx%d,CODECS="%s"\n%s/index\.m3u8$`,
			r.Bandwidth, r.Width, r.Height, regexp.QuoteMeta(r.Codecs), regexp.QuoteMeta(r.Name))
		assert.Regexp(t, pattern, master)
		assert.Regexp(t, "^"+codecs+"$", r.Codecs)
		assert.Greater(t, r.Bandwidth, 0)
	}
}

// checkImages checks the poster (the top rendition's size) and the strip.
func checkImages(t *testing.T, h *harness, res encoder.Result) {
	t.Helper()
	top := res.Renditions[len(res.Renditions)-1]
	codecs, w, hgt := ffprobe(t, h.blobFile(res.PosterKey)).codecs()
	assert.Equal(t, []string{"video:mjpeg"}, codecs)
	assert.Equal(t, [2]int{top.Width, top.Height}, [2]int{w, hgt})
	g := res.Thumbnails
	assert.GreaterOrEqual(t, g.Count, 1)
	_, w, hgt = ffprobe(t, h.blobFile(res.ThumbnailsKey)).codecs()
	assert.Equal(t, [2]int{g.Columns * g.Width, g.Rows * g.Height}, [2]int{w, hgt})
}

// checkProgress checks a video's progress events: from 0, never going
// back, ending at 100.
func checkProgress(t *testing.T, h *harness, videoID string) {
	t.Helper()
	evs := payloads[encoder.EncodingProgress](t, h.pub, encoder.EventEncodingProgress, videoID)
	require.GreaterOrEqual(t, len(evs), 3, "progress events of %s", videoID)
	assert.Equal(t, 0.0, evs[0].Percent)
	for i := 1; i < len(evs); i++ {
		assert.GreaterOrEqual(t, evs[i].Percent, evs[i-1].Percent, "progress event %d", i)
	}
	assert.Equal(t, 100.0, evs[len(evs)-1].Percent)
}
