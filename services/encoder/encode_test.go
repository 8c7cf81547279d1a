package encoder_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
)

func TestLadder(t *testing.T) {
	cases := []struct {
		name     string
		fixture  string
		seg      int
		want     map[string][2]int // rendition -> size
		order    []string
		audio    bool
		duration float64
	}{
		{
			name: "1080p source: five renditions", fixture: "1080p.mp4", seg: 4, audio: true, duration: 6,
			order: []string{"240p", "360p", "480p", "720p", "1080p"},
			want:  map[string][2]int{"240p": {426, 240}, "360p": {640, 360}, "480p": {854, 480}, "720p": {1280, 720}, "1080p": {1920, 1080}},
		},
		{
			name: "480p source: up to 480p", fixture: "480p.mp4", seg: 2, audio: true, duration: 5,
			order: []string{"240p", "360p", "480p"},
			want:  map[string][2]int{"240p": {426, 240}, "360p": {640, 360}, "480p": {854, 480}},
		},
		{
			name: "source without audio", fixture: "360p-mute.mp4", seg: 4, audio: false, duration: 4,
			order: []string{"240p", "360p"},
			want:  map[string][2]int{"240p": {426, 240}, "360p": {640, 360}},
		},
		{
			name: "source below 240p keeps its size", fixture: "tiny.mp4", seg: 4, audio: true, duration: 3,
			order: []string{"108p"},
			want:  map[string][2]int{"108p": {192, 108}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cfg := h.config()
			cfg.SegmentSeconds = tc.seg
			svc := h.service(cfg)
			id := h.upload(fixture(t, tc.fixture))
			deliver(t, svc, "video-1", id)
			h.run(svc)
			job := waitOutcome(t, h, svc, id)
			require.Equal(t, encoder.JobDone, job.Status, job.Reason)
			res := *job.Result

			var names []string
			for _, r := range res.Renditions {
				names = append(names, r.Name)
				assert.Equal(t, tc.want[r.Name], [2]int{r.Width, r.Height}, r.Name)
				assert.Equal(t, "media/"+id+"/hls/"+r.Name+"/index.m3u8", r.PlaylistKey)
				assert.Equal(t, "media/"+id+"/mp4/"+r.Name+".mp4", r.DownloadKey)
				checkRendition(t, h, r, tc.audio, tc.duration, tc.seg)
			}
			require.Equal(t, tc.order, names)
			assert.Equal(t, "media/"+id+"/hls/master.m3u8", res.MasterKey)
			checkMaster(t, h.blobText(res.MasterKey), res.Renditions, tc.audio)
			checkImages(t, h, res)
			assert.InDelta(t, tc.duration, res.DurationSeconds, 0.1)
			assert.Equal(t, tc.audio, res.HasAudio)
			assert.Greater(t, res.CPUSeconds, 0.0)
			assert.Empty(t, res.Findings, "a test pattern has no black, frozen or silent span")

			done := payloads[encoder.EncodingCompleted](t, h.pub, encoder.EventEncodingCompleted, "")
			require.Len(t, done, 1)
			assert.Equal(t, encoder.EncodingCompleted{VideoID: "video-1", MediaID: id, Result: res}, done[0])
			assert.Empty(t, h.pub.OfType(encoder.EventEncodingFailed))
			checkProgress(t, h, "video-1")
			assert.Equal(t, 100.0, job.Percent)
			entries, err := os.ReadDir(cfg.WorkDir)
			require.NoError(t, err)
			assert.Empty(t, entries, "the scratch directory is removed")
		})
	}
}

func TestQualityFindings(t *testing.T) {
	h := newHarness(t)
	svc := h.service(h.config())
	id := h.upload(fixture(t, "qc.mp4")) // 3 s black and silent, then 3 s of a pattern and a tone
	deliver(t, svc, "video-1", id)
	h.run(svc)
	job := waitJob(t, svc, id)
	require.Equal(t, encoder.JobDone, job.Status, job.Reason)

	byCheck := map[string]encoder.Finding{}
	for _, f := range job.Result.Findings {
		byCheck[f.Check] = f
	}
	for _, check := range []string{encoder.CheckBlack, encoder.CheckFreeze, encoder.CheckSilence} {
		f, ok := byCheck[check]
		if assert.True(t, ok, "a %s finding in %+v", check, job.Result.Findings) {
			assert.InDelta(t, 0, f.Start, 0.1, check)
			assert.InDelta(t, 3, f.End, 0.2, check)
			assert.NotEmpty(t, f.Detail)
		}
	}
	assert.NotContains(t, byCheck, encoder.CheckDurationDrift)
}
