package encoder

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFitLadder(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		want []rendition
	}{
		{"1080p", 1920, 1080, []rendition{
			{"240p", 426, 240, 400_000}, {"360p", 640, 360, 800_000}, {"480p", 854, 480, 1_400_000},
			{"720p", 1280, 720, 2_800_000}, {"1080p", 1920, 1080, 5_000_000}}},
		{"4K stops at 1080p", 3840, 2160, []rendition{
			{"240p", 426, 240, 400_000}, {"360p", 640, 360, 800_000}, {"480p", 854, 480, 1_400_000},
			{"720p", 1280, 720, 2_800_000}, {"1080p", 1920, 1080, 5_000_000}}},
		{"between rungs", 1000, 562, []rendition{
			{"240p", 426, 240, 400_000}, {"360p", 640, 360, 800_000}, {"480p", 854, 480, 1_400_000}}},
		{"4:3 keeps its shape", 640, 480, []rendition{
			{"240p", 320, 240, 400_000}, {"360p", 480, 360, 800_000}, {"480p", 640, 480, 1_400_000}}},
		{"exactly 240p", 426, 240, []rendition{{"240p", 426, 240, 400_000}}},
		{"below 240p: own size", 192, 108, []rendition{{"108p", 192, 108, 400_000}}},
		{"below 240p, odd sides", 175, 99, []rendition{{"98p", 174, 98, 400_000}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, fitLadder(DefaultLadder(), tc.w, tc.h))
		})
	}
}

func TestThumbGrid(t *testing.T) {
	cases := []struct {
		name     string
		info     sourceInfo
		interval float64
		want     ThumbnailGrid
	}{
		{"short clip: one", sourceInfo{Duration: 6, Width: 1920, Height: 1080}, 10,
			ThumbnailGrid{Count: 1, Columns: 1, Rows: 1, Width: 160, Height: 90, IntervalSeconds: 10}},
		{"a few minutes: rows of ten", sourceInfo{Duration: 125, Width: 640, Height: 480}, 10,
			ThumbnailGrid{Count: 13, Columns: 10, Rows: 2, Width: 160, Height: 120, IntervalSeconds: 10}},
		{"long film: at most 100", sourceInfo{Duration: 7200, Width: 1920, Height: 800}, 10,
			ThumbnailGrid{Count: 100, Columns: 10, Rows: 10, Width: 160, Height: 66, IntervalSeconds: 72}},
		{"narrow source", sourceInfo{Duration: 3, Width: 100, Height: 56}, 10,
			ThumbnailGrid{Count: 1, Columns: 1, Rows: 1, Width: 100, Height: 56, IntervalSeconds: 10}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, thumbGrid(tc.info, tc.interval))
		})
	}
}

func TestPlanArgs(t *testing.T) {
	cfg := Config{}.withDefaults()
	p := newPlan(cfg, sourceInfo{Duration: 20, Width: 1280, Height: 720, HasAudio: true}, "/w/source", "/w/out")
	args := strings.Join(p.ffmpegArgs(), " ")
	for _, want := range []string{
		"split=7[v0][v1][v2][v3][qc][poster][thumbs]",
		"asplit=4[a0][a1][a2][a3]",
		"blackdetect", "freezedetect", "silencedetect",
		"trim=start=2.000",
		"-force_key_frames expr:gte(t,n_forced*4) -sc_threshold 0",
		"-b:v:3 2800000 -maxrate:v:3 2996000 -bufsize:v:3 4200000",
		"-hls_time 4 -hls_playlist_type vod",
		"-var_stream_map v:0,a:0,name:240p v:1,a:1,name:360p v:2,a:2,name:480p v:3,a:3,name:720p /w/out/hls/%v/index.m3u8",
		"-hls_segment_filename /w/out/hls/%v/seg-%05d.ts -master_pl_name master.m3u8",
		"-nostats -progress pipe:1",
	} {
		assert.Contains(t, args, want)
	}
	p.info.HasAudio = false
	args = strings.Join(p.ffmpegArgs(), " ")
	assert.NotContains(t, args, "silencedetect")
	assert.NotContains(t, args, "-c:a")
	assert.Contains(t, args, "v:0,name:240p v:1,name:360p")
}

func TestQualityParsing(t *testing.T) {
	q := newQuality()
	for _, l := range []string{
		"[Parsed_blackdetect_3 @ 0x55] [info] black_start:0 black_end:2.5 black_duration:2.5",
		"[silencedetect @ 0x56] [info] silence_start: 1.2",
		"[freezedetect @ 0x57] [info] lavfi.freezedetect.freeze_start: 0.04",
		"[freezedetect @ 0x57] [info] lavfi.freezedetect.freeze_duration: 2.96",
		"[freezedetect @ 0x57] [info] lavfi.freezedetect.freeze_end: 3",
		"[silencedetect @ 0x56] [info] silence_end: 4.5 | silence_duration: 3.3",
		"[freezedetect @ 0x57] [info] lavfi.freezedetect.freeze_start: 8",
		"[libx264 @ 0x58] [info] frame I:3 Avg QP:20.00 size: 1234",
	} {
		q.line(l)
	}
	got := q.result(10)
	want := []Finding{
		{Check: CheckBlack, Start: 0, End: 2.5, Detail: "black picture for 2.5 s"},
		{Check: CheckFreeze, Start: 0.04, End: 3, Detail: "frozen picture for 3.0 s"},
		{Check: CheckSilence, Start: 1.2, End: 4.5, Detail: "silence for 3.3 s"},
		{Check: CheckFreeze, Start: 8, End: 10, Detail: "frozen picture for 2.0 s"},
	}
	assert.Equal(t, want, got)
	assert.Equal(t, []Finding{}, newQuality().result(5))

	_, ok := driftFinding(10, 10.4)
	assert.False(t, ok)
	f, ok := driftFinding(10, 9.2)
	assert.True(t, ok)
	assert.Equal(t, Finding{Check: CheckDurationDrift, Start: 9.2, End: 10, Detail: "output lasts 9.20 s, source 10.00 s"}, f)
}

func TestCheckLength(t *testing.T) {
	cases := []struct {
		name             string
		declared, output float64
		err              string
		drift            bool
	}{
		{"as declared", 6, 6.02, "", false},
		{"slightly short: a finding", 6, 5.3, "", true},
		{"cut in half: failed", 6, 3, "truncated or corrupt: only 3.0 s of the 6.0 s the file declares could be decoded (partial file)", false},
		{"long media tolerate 5%", 600, 580, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			findings, err := checkLength(tc.declared, tc.output, []string{"[mov @ 0x1] [error] partial file"}, "/w/source")
			if tc.err != "" {
				var me *mediaError
				require.ErrorAs(t, err, &me)
				assert.Equal(t, tc.err, me.reason)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.drift, len(findings) == 1)
		})
	}
}

func TestProgressLine(t *testing.T) {
	cases := []struct {
		line string
		want float64
		ok   bool
	}{
		{"out_time_us=1500000", 1.5, true},
		{"out_time_ms=2500000", 2.5, true},
		{"out_time_us=N/A", 0, false},
		{"out_time=00:00:01.500000", 0, false},
		{"progress=continue", 0, false},
	}
	for _, tc := range cases {
		got, ok := progressLine(tc.line)
		assert.Equal(t, tc.ok, ok, tc.line)
		assert.InDelta(t, tc.want, got, 1e-9, tc.line)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{Ladder: []Rung{{Name: "hi", Width: 2, Height: 720, VideoBitrate: 1}, {Name: "lo", Width: 2, Height: 240, VideoBitrate: 1}}}.withDefaults()
	assert.Equal(t, "ffmpeg", c.FFmpeg)
	assert.Equal(t, 1, c.Concurrency)
	assert.Equal(t, 4, c.SegmentSeconds)
	assert.Equal(t, 3, c.MaxAttempts)
	assert.Equal(t, 2*time.Minute, c.LeaseDuration)
	assert.Equal(t, time.Second, c.ProgressInterval)
	assert.Equal(t, 2*time.Second, c.PollInterval)
	assert.Equal(t, 128_000, c.AudioBitrate)
	assert.Len(t, c.InstanceID, 16)
	assert.Equal(t, []string{"lo", "hi"}, []string{c.Ladder[0].Name, c.Ladder[1].Name}, "sorted lowest first")
	assert.Len(t, Config{}.withDefaults().Ladder, 5)
}
