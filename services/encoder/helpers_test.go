package encoder_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

var ctx = context.Background()

// The callers the tests act as.
var (
	admin  = platform.Caller{UserID: "u-admin", Role: platform.RoleAdmin}
	viewer = platform.Caller{UserID: "u-viewer", Role: platform.RoleViewer}
	anon   = platform.Caller{}
)

// waitFor is how long a test waits for something to happen.
const waitFor = 60 * time.Second

// requireFFmpeg skips a test that needs ffmpeg and ffprobe when they are
// missing, except in CI, where it fails.
func requireFFmpeg(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required in CI: %v", tool, err)
			}
			t.Skipf("%s not found: %v", tool, err)
		}
	}
}

// harness is one encoder's world: its state, a blob store and a recording
// publisher, in a temporary directory.
type harness struct {
	t     testing.TB
	dir   string
	state *embedded.State
	blobs *embedded.Blobs
	pub   *platformtest.Recorder
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	requireFFmpeg(t)
	dir := t.TempDir()
	st, err := embedded.OpenState(filepath.Join(dir, "encoder.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	blobs, err := embedded.OpenBlobs(filepath.Join(dir, "blobs"))
	require.NoError(t, err)
	return &harness{t: t, dir: dir, state: st, blobs: blobs, pub: &platformtest.Recorder{}}
}

// config is the test setting: fast presets and short intervals, scratch in
// the test's directory.
func (h *harness) config() encoder.Config {
	return encoder.Config{
		WorkDir:          filepath.Join(h.dir, "work"),
		Preset:           "ultrafast",
		PollInterval:     50 * time.Millisecond,
		ProgressInterval: 100 * time.Millisecond,
		OutboxInterval:   100 * time.Millisecond,
	}
}

// service returns a Service over the harness with cfg.
func (h *harness) service(cfg encoder.Config) *encoder.Service {
	h.t.Helper()
	svc, err := encoder.New(ctx, cfg, h.state, h.blobs, h.pub, nil, nil)
	require.NoError(h.t, err)
	return svc
}

// run starts svc.Run and returns its stop, which cancels it and waits for
// it to return; the test's end stops it too.
func (h *harness) run(svc *encoder.Service) (stop func()) {
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- svc.Run(runCtx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(h.t, err)
			case <-time.After(waitFor):
				h.t.Error("Run did not return after its context ended")
			}
		})
	}
	h.t.Cleanup(stop)
	return stop
}

// upload stores the file as a source and returns its media id.
func (h *harness) upload(file string) string {
	h.t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(h.t, err)
	sum := sha256.Sum256(data)
	id := hex.EncodeToString(sum[:])
	_, err = h.blobs.Put(ctx, "media/"+id+"/source", bytes.NewReader(data))
	require.NoError(h.t, err)
	return id
}

// uploadEvent is the upload.completed event of a video's media.
func uploadEvent(t testing.TB, videoID, mediaID string) platform.Event {
	t.Helper()
	ev, err := platform.NewEvent("bff", encoder.Topic, encoder.EventUploadCompleted, time.Now(),
		encoder.UploadCompleted{VideoID: videoID, MediaID: mediaID, SourceKey: "media/" + mediaID + "/source", Filename: "clip.mp4"})
	require.NoError(t, err)
	return ev
}

// deliver hands svc an upload.completed event, as the bus would.
func deliver(t testing.TB, svc *encoder.Service, videoID, mediaID string) {
	t.Helper()
	require.NoError(t, svc.Subscriptions()[0].Handle(ctx, uploadEvent(t, videoID, mediaID)))
}

// waitJob polls until the job of mediaID is in one of statuses (by
// default done or failed) and returns it.
func waitJob(t testing.TB, api encoder.API, mediaID string, statuses ...encoder.JobStatus) encoder.Job {
	t.Helper()
	if len(statuses) == 0 {
		statuses = []encoder.JobStatus{encoder.JobDone, encoder.JobFailed}
	}
	var job encoder.Job
	eventually(t, "job "+mediaID[:8]+" to be "+fmt.Sprint(statuses), func() bool {
		resp, err := api.GetJob(ctx, encoder.GetJobRequest{Caller: admin, MediaID: mediaID})
		require.NoError(t, err)
		job = resp.Job
		return slices.Contains(statuses, job.Status)
	})
	return job
}

// waitOutcome waits until the job of mediaID is done or failed and the
// outbox has published its outcome to every video of the job: the job's
// state commits before its events go out, so a test that reads events right
// after the status would race the publish.
func waitOutcome(t testing.TB, h *harness, api encoder.API, mediaID string) encoder.Job {
	t.Helper()
	job := waitJob(t, api, mediaID)
	eventually(t, "the outcome of job "+mediaID[:8]+" to be published", func() bool {
		for _, v := range job.VideoIDs {
			if len(payloads[encoder.EncodingCompleted](t, h.pub, encoder.EventEncodingCompleted, v))+
				len(payloads[encoder.EncodingFailed](t, h.pub, encoder.EventEncodingFailed, v)) == 0 {
				return false
			}
		}
		return true
	})
	return job
}

// eventually polls cond every 20 ms until it holds, failing the test after
// waitFor.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(waitFor)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// payloads decodes the recorded events of type typ whose video is videoID
// (every video when empty), each event id once.
func payloads[T any](t testing.TB, pub *platformtest.Recorder, typ, videoID string) []T {
	t.Helper()
	var out []T
	seen := map[string]bool{}
	for _, ev := range pub.OfType(typ) {
		if seen[ev.ID] {
			continue // a redelivery by the outbox relay: consumers deduplicate by id
		}
		seen[ev.ID] = true
		var p T
		require.NoError(t, ev.Decode(&p))
		var probe struct {
			VideoID string `json:"videoId"`
		}
		require.NoError(t, ev.Decode(&probe))
		if videoID == "" || probe.VideoID == videoID {
			out = append(out, p)
		}
	}
	return out
}

// ffmpegLog wraps ffmpeg in a script that logs every run as one short
// line, "<pid> ladder" for the runs that write a ladder (a master playlist)
// and "<pid> other" for the rest, and returns the script's path and a
// reader of the runs. The line is short so that it is written at once,
// even when the run is killed right after it starts.
func ffmpegLog(t testing.TB, dir string) (string, func() []string) {
	t.Helper()
	real, err := exec.LookPath("ffmpeg")
	require.NoError(t, err)
	logFile := filepath.Join(dir, "ffmpeg-runs.log")
	script := filepath.Join(dir, "ffmpeg-logged")
	body := fmt.Sprintf(`#!/bin/sh
case "$*" in *master.m3u8*) kind=ladder ;; *) kind=other ;; esac
echo "$$ $kind" >> %q
exec %q "$@"
`, logFile, real)
	require.NoError(t, os.WriteFile(script, []byte(body), 0o755))
	return script, func() []string {
		data, _ := os.ReadFile(logFile)
		return strings.FieldsFunc(string(data), func(r rune) bool { return r == '\n' })
	}
}

// ladderRuns counts the logged runs that encoded a ladder (not the MP4
// remuxes).
func ladderRuns(runs []string) int {
	n := 0
	for _, r := range runs {
		if strings.HasSuffix(r, " ladder") {
			n++
		}
	}
	return n
}
