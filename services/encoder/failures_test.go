package encoder_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
)

// TestFailures queues sources that cannot be encoded and one that can: each
// bad one ends failed with a reason an admin can act on and an
// encoding.failed event, and the worker goes on to the good one.
func TestFailures(t *testing.T) {
	h := newHarness(t)
	svc := h.service(h.config())
	cases := []struct {
		name    string
		fixture string // empty: no source uploaded
		reason  string // the reason's exact text, or its prefix when it ends with ": "
	}{
		{"audio-only file", "audio-only.m4a", "no video stream (audio-only file)"},
		{"text file renamed .mp4", "text.mp4", "not a video: "},
		{"bytes of no known format", "noise.mp4", "not a video: "},
		{"playlist disguised as a video", "playlist.mp4", "not a video: hls is not an accepted container format"},
		{"mp4 cut in half, index at the end", "truncated.mp4", "truncated or corrupt: "},
		{"mp4 cut in half, index at the front", "truncated-faststart.mp4", "truncated or corrupt: "},
		{"source missing from the blob store", "", "source missing: "},
	}
	ids := make([]string, len(cases))
	for i, tc := range cases {
		if tc.fixture == "" {
			ids[i] = strings.Repeat("ab", 32)
		} else {
			ids[i] = h.upload(fixture(t, tc.fixture))
		}
		deliver(t, svc, "video-"+tc.name, ids[i])
	}
	good := h.upload(fixture(t, "360p.mp4"))
	deliver(t, svc, "video-good", good)
	h.run(svc)

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := waitOutcome(t, h, svc, ids[i])
			require.Equal(t, encoder.JobFailed, job.Status)
			if strings.HasSuffix(tc.reason, ": ") {
				assert.True(t, strings.HasPrefix(job.Reason, tc.reason) && len(job.Reason) > len(tc.reason),
					"reason %q starts with %q and says more", job.Reason, tc.reason)
			} else {
				assert.Equal(t, tc.reason, job.Reason)
			}
			assert.NotContains(t, job.Reason, fixtures.dir, "the scratch path stays out of the reason")
			assert.Nil(t, job.Result)
			failed := payloads[encoder.EncodingFailed](t, h.pub, encoder.EventEncodingFailed, "video-"+tc.name)
			assert.Equal(t, []encoder.EncodingFailed{{VideoID: "video-" + tc.name, MediaID: ids[i], Reason: job.Reason}}, failed)
			for _, dir := range []string{"hls/", "mp4/"} {
				left, err := h.blobs.List(ctx, "media/"+ids[i]+"/"+dir)
				require.NoError(t, err)
				assert.Empty(t, left, "no output of a failed job")
			}
			t.Logf("reason: %s", job.Reason)
		})
	}
	job := waitOutcome(t, h, svc, good)
	assert.Equal(t, encoder.JobDone, job.Status, job.Reason)
	done := payloads[encoder.EncodingCompleted](t, h.pub, encoder.EventEncodingCompleted, "")
	require.Len(t, done, 1, "only the good job completes")
	assert.Equal(t, "video-good", done[0].VideoID)
}
