package encoder

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// fuzzMedia is the media the prior job of FuzzUploadEvent is about.
var fuzzMedia = strings.Repeat("ab", 32)

// fuzzPriors are the states of that job before the event: none, queued,
// done and failed, each for video "v-1".
var fuzzPriors = []JobStatus{"", JobQueued, JobDone, JobFailed}

// mediaIDPattern is what a media id is, restated apart from the handler's
// own check.
var mediaIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// FuzzUploadEvent feeds the encoder's media subscription an arbitrary
// event, with the job of one media absent, queued, done or failed before.
// Types other than upload.completed are acknowledged and change nothing.
// An upload.completed that does not decode, or whose media id, video id or
// source key is malformed, is dropped to the dead letters (never retried)
// and changes nothing. Any other is acknowledged: its media's job lists its
// video, a new job is queued and open, an existing job keeps its status,
// and a finished one tells a new video its outcome in one event. Handling
// the same event again writes and publishes nothing.
func FuzzUploadEvent(f *testing.F) {
	upload := func(p UploadCompleted) []byte {
		data, err := json.Marshal(p)
		require.NoError(f, err)
		return data
	}
	other := strings.Repeat("0", 64)
	for prior := range fuzzPriors {
		f.Add(uint8(prior), EventUploadCompleted, upload(UploadCompleted{VideoID: "v-2", MediaID: fuzzMedia, SourceKey: sourceKey(fuzzMedia), Size: 10, Filename: "a.mp4"}))
		f.Add(uint8(prior), EventUploadCompleted, upload(UploadCompleted{VideoID: "v-1", MediaID: fuzzMedia, SourceKey: sourceKey(fuzzMedia)}))
	}
	f.Add(uint8(0), EventUploadCompleted, upload(UploadCompleted{VideoID: "v-1", MediaID: other, SourceKey: sourceKey(other)}))
	f.Add(uint8(2), EventUploadCompleted, upload(UploadCompleted{VideoID: "v-1", MediaID: strings.ToUpper(fuzzMedia), SourceKey: sourceKey(strings.ToUpper(fuzzMedia))}))
	f.Add(uint8(1), EventUploadCompleted, upload(UploadCompleted{VideoID: "v-2", MediaID: fuzzMedia, SourceKey: "media/../source"}))
	f.Add(uint8(1), EventUploadCompleted, upload(UploadCompleted{MediaID: fuzzMedia, SourceKey: sourceKey(fuzzMedia)}))
	f.Add(uint8(2), EventEncodingCompleted, upload(UploadCompleted{VideoID: "v-2", MediaID: fuzzMedia, SourceKey: sourceKey(fuzzMedia)}))
	for _, data := range []string{`{`, ``, `null`, `[]`, `{"videoId":1}`} {
		f.Add(uint8(1), EventUploadCompleted, []byte(data))
	}
	// Tools that exist, as New looks for them: the handler never runs them.
	cfg := Config{FFmpeg: "true", FFprobe: "true", WorkDir: f.TempDir()}
	blobs, err := embedded.OpenBlobs(f.TempDir())
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, prior uint8, typ string, data []byte) {
		ctx := context.Background()
		status := fuzzPriors[int(prior)%len(fuzzPriors)]
		state, pub := platformtest.NewMemState(), &platformtest.Recorder{}
		now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		svc, err := New(ctx, cfg, state, blobs, pub, func() time.Time { return now }, nil)
		require.NoError(t, err)
		var before Job
		if status != "" {
			before = Job{MediaID: fuzzMedia, SourceKey: sourceKey(fuzzMedia), VideoIDs: []string{"v-1"}, Status: status, CreatedAt: now, UpdatedAt: now}
			if status == JobDone {
				before.Result = &Result{DurationSeconds: 5, Width: 640, Height: 360, MasterKey: "media/" + fuzzMedia + "/hls/master.m3u8"}
			}
			if status == JobFailed {
				before.Reason = "no video stream"
			}
			require.NoError(t, svc.outbox.Write(ctx, 1, func(b *platform.Batch) error {
				b.Set(jobKey(fuzzMedia), before, "", true)
				return nil
			}))
		}
		initial := state.Snapshot()

		ev := platform.Event{ID: "e-1", Type: typ, Source: "bff", Topic: Topic, Time: now, Data: data}
		err = svc.handleMediaEvent(ctx, ev)
		var p UploadCompleted
		valid := json.Unmarshal(data, &p) == nil && mediaIDPattern.MatchString(p.MediaID) && p.VideoID != "" &&
			p.SourceKey == "media/"+p.MediaID+"/source"
		switch {
		case ev.Type != EventUploadCompleted:
			require.NoError(t, err)
			require.Equal(t, initial, state.Snapshot(), "a %q event changed the state", ev.Type)
			require.Empty(t, pub.Events())
			return
		case !valid:
			require.Error(t, err)
			require.True(t, platform.IsDrop(err), "an unusable upload must go to the dead letters: %v", err)
			require.Equal(t, initial, state.Snapshot())
			require.Empty(t, pub.Events())
			return
		}
		require.NoError(t, err)
		job, _, err := svc.loadJob(ctx, p.MediaID)
		require.NoError(t, err)
		require.Contains(t, job.VideoIDs, p.VideoID)
		open, err := svc.open.Members(ctx)
		require.NoError(t, err)
		requireOutcome(t, before, p, job, open, pub.Events())

		after, published := state.Snapshot(), len(pub.Events())
		require.NoError(t, svc.handleMediaEvent(ctx, ev))
		require.Equal(t, after, state.Snapshot(), "a redelivered upload wrote again")
		require.Len(t, pub.Events(), published, "a redelivered upload published again")
	})
}

// requireOutcome checks what an accepted upload p did to the job of its
// media, given the job before (no status: none) and after, the open jobs
// and the events published.
func requireOutcome(t *testing.T, before Job, p UploadCompleted, job Job, open []string, events []platform.Event) {
	t.Helper()
	if p.MediaID != before.MediaID || before.Status == "" {
		require.Equal(t, JobQueued, job.Status)
		require.Equal(t, []string{p.VideoID}, job.VideoIDs)
		require.Equal(t, p.SourceKey, job.SourceKey)
		require.Contains(t, open, p.MediaID, "a new job is open for the runners")
		require.Empty(t, events)
		return
	}
	require.Equal(t, before.Status, job.Status, "an upload does not change a job's status")
	require.Equal(t, before.Result, job.Result)
	require.Equal(t, before.Reason, job.Reason)
	if slices.Contains(before.VideoIDs, p.VideoID) {
		require.Equal(t, before.VideoIDs, job.VideoIDs)
		require.Empty(t, events)
		return
	}
	require.Equal(t, append(slices.Clone(before.VideoIDs), p.VideoID), job.VideoIDs, "the job encodes for the new video too")
	if before.Status != JobDone && before.Status != JobFailed {
		require.Empty(t, events, "an unfinished job has no outcome to tell yet")
		return
	}
	require.Len(t, events, 1, "a video added to a finished job hears its outcome")
	want := map[JobStatus]string{JobDone: EventEncodingCompleted, JobFailed: EventEncodingFailed}[before.Status]
	require.Equal(t, want, events[0].Type)
	var got struct{ VideoID, MediaID string }
	require.NoError(t, json.Unmarshal(events[0].Data, &got))
	require.Equal(t, p.VideoID, got.VideoID)
	require.Equal(t, p.MediaID, got.MediaID)
}
