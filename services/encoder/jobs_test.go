package encoder_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
)

func TestUploadEventsValidated(t *testing.T) {
	h := newHarness(t)
	svc := h.service(h.config())
	handle := svc.Subscriptions()[0].Handle
	id := strings.Repeat("0f", 32)
	event := func(typ string, p encoder.UploadCompleted) platform.Event {
		ev, err := platform.NewEvent("bff", encoder.Topic, typ, time.Now(), p)
		require.NoError(t, err)
		return ev
	}
	valid := encoder.UploadCompleted{VideoID: "video-1", MediaID: id, SourceKey: "media/" + id + "/source"}
	with := func(edit func(p *encoder.UploadCompleted)) platform.Event {
		p := valid
		edit(&p)
		return event(encoder.EventUploadCompleted, p)
	}
	undecodable := event(encoder.EventUploadCompleted, valid)
	undecodable.Data = json.RawMessage(`"not an object"`)
	cases := []struct {
		name string
		ev   platform.Event
	}{
		{"short media id", with(func(p *encoder.UploadCompleted) { p.MediaID = "abc"; p.SourceKey = "media/abc/source" })},
		{"upper-case media id", with(func(p *encoder.UploadCompleted) {
			p.MediaID = strings.ToUpper(id)
			p.SourceKey = "media/" + p.MediaID + "/source"
		})},
		{"no video id", with(func(p *encoder.UploadCompleted) { p.VideoID = "" })},
		{"source elsewhere", with(func(p *encoder.UploadCompleted) { p.SourceKey = "media/" + id + "/other" })},
		{"payload not an object", undecodable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := handle(ctx, tc.ev)
			require.Error(t, err)
			assert.True(t, platform.IsDrop(err), "dropped to the dead letters: %v", err)
		})
	}
	t.Run("other event types are acknowledged and ignored", func(t *testing.T) {
		require.NoError(t, handle(ctx, event(encoder.EventEncodingCompleted, valid)))
		_, err := svc.GetJob(ctx, encoder.GetJobRequest{Caller: admin, MediaID: id})
		assert.Equal(t, platform.KindNotFound, platform.KindOf(err))
	})
	t.Run("a valid event queues a job", func(t *testing.T) {
		require.NoError(t, handle(ctx, event(encoder.EventUploadCompleted, valid)))
		job := waitJob(t, svc, id, encoder.JobQueued)
		assert.Equal(t, []string{"video-1"}, job.VideoIDs)
		assert.Equal(t, "media/"+id+"/source", job.SourceKey)
		assert.Zero(t, job.Attempts)
	})
}

// TestRedeliveryEncodesOnce delivers the same upload again before, during
// and after its encode: the media is encoded once, and its video gets one
// outcome.
func TestRedeliveryEncodesOnce(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	var runs func() []string
	cfg.FFmpeg, runs = ffmpegLog(t, h.dir)
	svc := h.service(cfg)
	id := h.upload(fixture(t, "360p.mp4"))
	deliver(t, svc, "video-1", id)
	deliver(t, svc, "video-1", id)
	h.run(svc)
	waitJob(t, svc, id, encoder.JobRunning, encoder.JobDone)
	deliver(t, svc, "video-1", id)
	job := waitOutcome(t, h, svc, id)
	require.Equal(t, encoder.JobDone, job.Status, job.Reason)
	deliver(t, svc, "video-1", id)

	assert.Equal(t, 1, ladderRuns(runs()), "ffmpeg runs: %q", runs())
	assert.Equal(t, []string{"video-1"}, job.VideoIDs)
	assert.Equal(t, 1, job.Attempts)
	assert.Len(t, payloads[encoder.EncodingCompleted](t, h.pub, encoder.EventEncodingCompleted, "video-1"), 1)
}

// TestSharedMedia has a second video use the same file: it is never encoded
// again, and the second video gets the outcome too.
func TestSharedMedia(t *testing.T) {
	cases := []struct {
		name    string
		fixture string
		after   bool // the second video comes after the outcome, with Run stopped
		want    encoder.JobStatus
		ladders int
	}{
		{"second video while queued", "360p.mp4", false, encoder.JobDone, 1},
		{"second video after done", "360p.mp4", true, encoder.JobDone, 1},
		{"second video after failure", "audio-only.m4a", true, encoder.JobFailed, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cfg := h.config()
			var runs func() []string
			cfg.FFmpeg, runs = ffmpegLog(t, h.dir)
			svc := h.service(cfg)
			id := h.upload(fixture(t, tc.fixture))
			deliver(t, svc, "video-1", id)
			if !tc.after {
				deliver(t, svc, "video-2", id)
			}
			stop := h.run(svc)
			job := waitOutcome(t, h, svc, id)
			require.Equal(t, tc.want, job.Status, job.Reason)
			if tc.after {
				stop()
				deliver(t, svc, "video-2", id)
			}
			assert.Equal(t, tc.ladders, ladderRuns(runs()))
			checkOutcomes(t, h, id, tc.want, "video-1", "video-2")
		})
	}
}

// checkOutcomes checks that each video got the one outcome event of the
// media's job, the same for all.
func checkOutcomes(t *testing.T, h *harness, mediaID string, status encoder.JobStatus, videos ...string) {
	t.Helper()
	job, _, err := h.job(mediaID)
	require.NoError(t, err)
	assert.ElementsMatch(t, videos, job.VideoIDs)
	for _, v := range videos {
		done := payloads[encoder.EncodingCompleted](t, h.pub, encoder.EventEncodingCompleted, v)
		failed := payloads[encoder.EncodingFailed](t, h.pub, encoder.EventEncodingFailed, v)
		if status == encoder.JobDone {
			require.Len(t, done, 1, v)
			assert.Equal(t, encoder.EncodingCompleted{VideoID: v, MediaID: mediaID, Result: *job.Result}, done[0])
			assert.Empty(t, failed, v)
		} else {
			require.Len(t, failed, 1, v)
			assert.Equal(t, encoder.EncodingFailed{VideoID: v, MediaID: mediaID, Reason: job.Reason}, failed[0])
			assert.Empty(t, done, v)
		}
	}
}

// job reads a job straight from the state, with its ETag.
func (h *harness) job(mediaID string) (encoder.Job, string, error) {
	var job encoder.Job
	etag, err := platform.GetJSON(ctx, h.state, "job:"+mediaID, "job not found", &job)
	return job, etag, err
}

// editJob changes a job in the state as a crashed or foreign runner would
// have left it.
func (h *harness) editJob(mediaID string, edit func(job *encoder.Job)) {
	h.t.Helper()
	job, etag, err := h.job(mediaID)
	require.NoError(h.t, err)
	edit(&job)
	require.NoError(h.t, platform.SetJSON(ctx, h.state, "job:"+mediaID, job, etag, false))
}
