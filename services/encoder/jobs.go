package encoder

import (
	"context"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// jobKey is where the job of a media is stored.
func jobKey(mediaID string) string { return "job:" + mediaID }

// sourceKey is the only Blob key a source may have.
func sourceKey(mediaID string) string { return "media/" + mediaID + "/source" }

// validMediaID reports whether id is a hex SHA-256 (64 lower-case hex
// digits).
func validMediaID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// loadJob reads the job of a media and its ETag.
//
// Errors: KindNotFound "job not found"; the state's kind otherwise.
func (s *Service) loadJob(ctx context.Context, mediaID string) (Job, string, error) {
	var job Job
	etag, err := platform.GetJSON(ctx, s.state, jobKey(mediaID), "job not found", &job)
	if err != nil {
		return Job{}, "", fmt.Errorf("encoder: load job %s: %w", mediaID, err)
	}
	return job, etag, nil
}

// claimable reports whether this runner may take job now: it is queued
// and not held back, or running under a lease that lapsed, or running under
// this very instance id (whose runner is not alive: a Run does not claim
// the jobs it is running, and the instance id is unique to one process at a
// time, so such a job was left by an earlier process).
func (s *Service) claimable(job Job, now time.Time) bool {
	switch job.Status {
	case JobQueued:
		return !now.Before(job.NotBefore)
	case JobRunning:
		return now.After(job.LeaseUntil) || job.Owner == s.cfg.InstanceID
	}
	return false
}

// run identifies one run of a job: the runner and the attempt it claimed.
type run struct {
	mediaID string
	attempt int
}

// owns reports whether job is still held by this runner's run r.
func (s *Service) owns(job Job, r run) bool {
	return job.Status == JobRunning && job.Owner == s.cfg.InstanceID && job.Attempts == r.attempt
}

// claim takes the job of mediaID if it is still claimable: it becomes
// running, owned by this instance under a fresh lease, with one more
// attempt. A job out of attempts fails instead ("encoder crashed N times"),
// with its outcome events. It reports whether this runner got the job.
func (s *Service) claim(ctx context.Context, mediaID string) (Job, bool, error) {
	var (
		claimed Job
		ok      bool
	)
	err := s.outbox.Write(ctx, 3, func(b *platform.Batch) error {
		ok = false
		job, etag, err := s.loadJob(ctx, mediaID)
		now := s.clock()
		if err != nil || !s.claimable(job, now) {
			return err
		}
		job.UpdatedAt = now
		if job.Attempts >= s.cfg.MaxAttempts {
			s.fail(&job, s.exhausted(job))
			s.settleOps(ctx, b, job, etag)
			return nil
		}
		job.Attempts++
		job.Status, job.Owner = JobRunning, s.cfg.InstanceID
		job.LeaseUntil, job.NotBefore = now.Add(s.cfg.LeaseDuration), time.Time{}
		b.Set(jobKey(mediaID), job, etag, false)
		claimed, ok = job, true
		return nil
	})
	if platform.Is(err, platform.KindConflict) {
		return Job{}, false, nil // another runner was faster
	}
	if err != nil {
		return Job{}, false, fmt.Errorf("encoder: claim job %s: %w", mediaID, err)
	}
	return claimed, ok, nil
}

// exhausted is the reason of a job whose runs kept ending without an
// outcome.
func (s *Service) exhausted(job Job) string {
	if job.LastError != "" {
		return fmt.Sprintf("encoder failed %d times on this media; last error: %s", job.Attempts, job.LastError)
	}
	return fmt.Sprintf("encoder crashed %d times on this media", job.Attempts)
}

// fail marks job failed for reason.
func (s *Service) fail(job *Job, reason string) {
	job.Status, job.Reason, job.Result = JobFailed, reason, nil
}

// settleOps adds to b the write of job (read with etag) and, when it is
// final, its removal from the open set and its outcome for every video.
func (s *Service) settleOps(ctx context.Context, b *platform.Batch, job Job, etag string) {
	if job.Status != JobRunning {
		job.Owner, job.LeaseUntil = "", time.Time{}
	}
	b.Set(jobKey(job.MediaID), job, etag, false)
	if job.Status == JobDone || job.Status == JobFailed {
		b.Add(s.open.RemoveOps(ctx, job.MediaID))
		s.emitOutcome(b, job, job.VideoIDs)
	}
}

// settle ends run r: apply changes the job (to done, failed or queued
// again) unless another runner took it over meanwhile (errLeaseLost). The
// outcome events of a final job are published through the outbox. It goes
// on when ctx is canceled, so a finished encode is never lost to a
// shutdown.
func (s *Service) settle(ctx context.Context, r run, apply func(job *Job)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := s.outbox.Write(ctx, conflictRetries, func(b *platform.Batch) error {
		job, etag, err := s.loadJob(ctx, r.mediaID)
		if err != nil {
			return err
		}
		if !s.owns(job, r) {
			return errLeaseLost
		}
		apply(&job)
		job.UpdatedAt = s.clock()
		s.settleOps(ctx, b, job, etag)
		return nil
	})
	if err != nil {
		return fmt.Errorf("encoder: settle job %s: %w", r.mediaID, err)
	}
	return nil
}

// renew extends the lease of run r and records its percent; it returns the
// job's videos, which may have grown since the claim.
//
// Errors: errLeaseLost when another runner took the job over; the state's
// kind otherwise.
func (s *Service) renew(ctx context.Context, r run, percent float64) ([]string, error) {
	var videos []string
	err := platform.RetryConflict(ctx, conflictRetries, func() error {
		job, etag, err := s.loadJob(ctx, r.mediaID)
		if err != nil {
			return err
		}
		if !s.owns(job, r) {
			return errLeaseLost
		}
		now := s.clock()
		job.LeaseUntil, job.Percent, job.UpdatedAt = now.Add(s.cfg.LeaseDuration), percent, now
		videos = job.VideoIDs
		return platform.SetJSON(ctx, s.state, jobKey(r.mediaID), job, etag, false)
	})
	if err != nil {
		return nil, fmt.Errorf("encoder: renew lease of job %s: %w", r.mediaID, err)
	}
	return videos, nil
}
