package encoder_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
)

// TestStopMidEncode stops Run while ffmpeg encodes, as a crash or a
// deploy would: ffmpeg is killed, and a new encoder on the same state and
// blobs finishes the job.
func TestStopMidEncode(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	var runs func() []string
	cfg.FFmpeg, runs = ffmpegLog(t, h.dir)
	slow := cfg
	slow.Preset = "veryslow" // long enough to be stopped midway
	first := h.service(slow)
	id := h.upload(fixture(t, "long.mp4"))
	deliver(t, first, "video-1", id)
	stop := h.run(first)
	pid := 0
	eventually(t, "ffmpeg to encode", func() bool {
		if ladderRuns(runs()) == 0 {
			return false
		}
		n, err := strconv.Atoi(strings.Fields(runs()[0])[0])
		require.NoError(t, err)
		pid = n
		return syscall.Kill(pid, 0) == nil
	})
	stop()

	require.Equal(t, 1, ladderRuns(runs()))
	assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "ffmpeg (pid %d) was killed", pid)
	entries, err := os.ReadDir(cfg.WorkDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "the scratch directory is removed")
	job, _, err := h.job(id)
	require.NoError(t, err)
	assert.Equal(t, encoder.JobQueued, job.Status, "handed back to the queue")
	assert.Zero(t, job.Attempts, "a stop is not a crash")
	assert.Empty(t, h.pub.OfType(encoder.EventEncodingCompleted))

	cfg.LeaseDuration = time.Second
	second := h.service(cfg)
	h.run(second)
	job = waitOutcome(t, h, second, id)
	require.Equal(t, encoder.JobDone, job.Status, job.Reason)
	assert.Equal(t, 2, ladderRuns(runs()))
	checkOutcomes(t, h, id, encoder.JobDone, "video-1")
}

// TestLeases leaves jobs as runners that died or still live would: a live
// lease is respected, a lapsed one is taken over (and the half-written
// output replaced), the encoder's own instance id is taken up at once (and
// its scratch left behind removed), and a job that keeps crashing fails.
func TestLeases(t *testing.T) {
	h := newHarness(t)
	cfg := h.config()
	cfg.LeaseDuration = 3 * time.Second
	cfg.InstanceID = "encoder-1"
	var runs func() []string
	cfg.FFmpeg, runs = ffmpegLog(t, h.dir)
	svc := h.service(cfg)
	media := map[string]string{}
	for _, name := range []string{"360p.mp4", "360p-mute.mp4", "tiny.mp4", "480p.mp4"} {
		media[name] = h.upload(fixture(t, name))
		deliver(t, svc, "video-"+name, media[name])
	}
	live, lapsed, own, crashing := media["360p.mp4"], media["360p-mute.mp4"], media["tiny.mp4"], media["480p.mp4"]
	now := time.Now().UTC()
	h.editJob(live, running("encoder-2", now.Add(time.Hour), 1))
	h.editJob(lapsed, running("encoder-3", now.Add(-time.Second), 1))
	h.editJob(own, running("encoder-1", now.Add(time.Hour), 1))
	h.editJob(crashing, running("encoder-4", now.Add(-time.Second), 3))
	junk := []string{"media/" + lapsed + "/hls/240p/seg-00042.ts", "media/" + lapsed + "/mp4/old.mp4"}
	for _, key := range junk {
		_, err := h.blobs.Put(ctx, key, bytes.NewReader([]byte("half-written")))
		require.NoError(t, err)
	}
	stale := filepath.Join(cfg.WorkDir, "job-encoder-1-"+own[:16]+"-123")
	require.NoError(t, os.MkdirAll(stale, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(stale, "source"), []byte("left by a crash"), 0o644))
	h.run(svc)

	for _, id := range []string{lapsed, own} {
		job := waitJob(t, svc, id)
		require.Equal(t, encoder.JobDone, job.Status, job.Reason)
		assert.Equal(t, 2, job.Attempts)
	}
	for _, key := range junk {
		_, err := h.blobs.Stat(ctx, key)
		assert.Error(t, err, "%s was replaced", key)
	}
	_, err := os.Stat(stale)
	assert.ErrorIs(t, err, os.ErrNotExist, "the scratch of the crashed process under this instance id is removed")
	job := waitOutcome(t, h, svc, crashing)
	require.Equal(t, encoder.JobFailed, job.Status)
	assert.Equal(t, "encoder crashed 3 times on this media", job.Reason)
	checkOutcomes(t, h, crashing, encoder.JobFailed, "video-480p.mp4")

	job, _, err = h.job(live)
	require.NoError(t, err)
	assert.Equal(t, encoder.JobRunning, job.Status, "a live lease is respected")
	assert.Equal(t, "encoder-2", job.Owner)
	assert.Equal(t, 2, ladderRuns(runs()), "only the lapsed and the own job were encoded")

	h.editJob(live, func(job *encoder.Job) { job.LeaseUntil = time.Now().UTC().Add(-time.Second) })
	job = waitJob(t, svc, live)
	assert.Equal(t, encoder.JobDone, job.Status, job.Reason)
}

// running returns an edit that leaves a job as a runner that claimed it
// would.
func running(owner string, leaseUntil time.Time, attempts int) func(job *encoder.Job) {
	return func(job *encoder.Job) {
		job.Status, job.Owner, job.LeaseUntil, job.Attempts = encoder.JobRunning, owner, leaseUntil, attempts
	}
}

// TestConcurrency counts the ffmpeg runs under way at once with a wrapper
// that keeps a counter under a file lock.
func TestConcurrency(t *testing.T) {
	for _, limit := range []int{1, 2} {
		t.Run(fmt.Sprintf("Concurrency=%d", limit), func(t *testing.T) {
			h := newHarness(t)
			cfg := h.config()
			cfg.Concurrency = limit
			var peak func() int
			cfg.FFmpeg, peak = ffmpegCounted(t, h.dir)
			svc := h.service(cfg)
			var ids []string
			for _, name := range []string{"360p.mp4", "360p-mute.mp4", "tiny.mp4"} {
				id := h.upload(fixture(t, name))
				deliver(t, svc, "video-"+name, id)
				ids = append(ids, id)
			}
			h.run(svc)
			for _, id := range ids {
				job := waitJob(t, svc, id)
				assert.Equal(t, encoder.JobDone, job.Status, job.Reason)
			}
			assert.LessOrEqual(t, peak(), limit)
			assert.GreaterOrEqual(t, peak(), 1)
		})
	}
}

// ffmpegCounted wraps ffmpeg in a script that logs how many ffmpeg runs are
// under way as each starts, and returns its path and the peak.
func ffmpegCounted(t testing.TB, dir string) (string, func() int) {
	t.Helper()
	script := filepath.Join(dir, "ffmpeg-counted")
	count, lock, log := filepath.Join(dir, "count"), filepath.Join(dir, "lock"), filepath.Join(dir, "starts.log")
	body := fmt.Sprintf(`#!/bin/bash
(flock 9; n=$(( $(cat %[1]q 2>/dev/null || echo 0) + 1 )); echo $n > %[1]q; echo $n >> %[3]q) 9>%[2]q
ffmpeg "$@"; rc=$?
(flock 9; echo $(( $(cat %[1]q) - 1 )) > %[1]q) 9>%[2]q
exit $rc
`, count, lock, log)
	require.NoError(t, os.WriteFile(script, []byte(body), 0o755))
	return script, func() int {
		data, err := os.ReadFile(log)
		if errors.Is(err, os.ErrNotExist) {
			return 0
		}
		require.NoError(t, err)
		peak := 0
		for _, f := range strings.Fields(string(data)) {
			n, err := strconv.Atoi(f)
			require.NoError(t, err)
			peak = max(peak, n)
		}
		return peak
	}
}
