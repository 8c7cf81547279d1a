package encoder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Run is the encoder's worker, to start once per process beside the
// subscriptions. It relays the outbox (outcome events not published right
// after their write) every Config.OutboxInterval, and looks for claimable
// jobs at start, every Config.PollInterval and whenever a job is queued in
// this process: queued jobs, and running jobs whose lease lapsed because
// their runner died. It runs up to Config.Concurrency jobs at once.
//
// At start it removes the scratch directories that an earlier process
// under the same Config.InstanceID left in Config.WorkDir.
//
// Run returns nil once ctx ends, after killing its ffmpeg children and
// handing their jobs back to the queue (a job whose hand-back fails is
// taken over when its lease lapses). Failures of a job are its outcome or
// a retry, never Run's error.
func (s *Service) Run(ctx context.Context) error {
	s.cleanScratch(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { _ = s.outbox.Run(ctx, s.cfg.OutboxInterval) })
	p := &pool{s: s, active: map[string]bool{}, done: make(chan string, s.cfg.Concurrency)}
	defer p.wg.Wait()
	tick := time.NewTicker(s.cfg.PollInterval)
	defer tick.Stop()
	for {
		p.fill(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
		case id := <-p.done:
			delete(p.active, id)
		}
	}
}

// pool is the jobs one Run is running. Only Run's goroutine touches
// active.
type pool struct {
	s      *Service
	active map[string]bool // media ids
	done   chan string     // a job ended; capacity Concurrency, never blocks
	wg     sync.WaitGroup
}

// fill claims claimable jobs, oldest first, while slots are free.
func (p *pool) fill(ctx context.Context) {
	if len(p.active) >= p.s.cfg.Concurrency || ctx.Err() != nil {
		return
	}
	jobs, err := p.s.candidates(ctx)
	if err != nil {
		p.s.log.ErrorContext(ctx, "encoder: look for jobs", "err", err)
		return
	}
	for _, job := range jobs {
		if len(p.active) >= p.s.cfg.Concurrency {
			return
		}
		if p.active[job.MediaID] {
			continue
		}
		claimed, ok, err := p.s.claim(ctx, job.MediaID)
		if err != nil {
			p.s.log.ErrorContext(ctx, "encoder: claim job", "media_id", job.MediaID, "err", err)
			continue
		}
		if ok {
			p.active[job.MediaID] = true
			p.wg.Go(func() {
				defer func() { p.done <- claimed.MediaID }()
				p.s.runJob(ctx, claimed)
			})
		}
	}
}

// candidates returns the open jobs that are claimable now, oldest first.
func (s *Service) candidates(ctx context.Context) ([]Job, error) {
	ids, err := s.open.Members(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = jobKey(id)
	}
	items, err := s.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("encoder: read open jobs: %w", err)
	}
	now := s.clock()
	var jobs []Job
	for _, it := range items {
		var job Job
		if err := platform.DecodeJSON(it, &job); err != nil {
			s.log.ErrorContext(ctx, "encoder: skip corrupt job", "key", it.Key, "err", err)
			continue
		}
		if s.claimable(job, now) {
			jobs = append(jobs, job)
		}
	}
	slices.SortFunc(jobs, func(a, b Job) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return jobs, nil
}

// runJob runs a claimed job under its lease and settles it.
func (s *Service) runJob(ctx context.Context, job Job) {
	r := run{mediaID: job.MediaID, attempt: job.Attempts}
	log := s.log.With("media_id", job.MediaID, "attempt", job.Attempts)
	log.InfoContext(ctx, "encoder: job started", "videos", job.VideoIDs)
	started := time.Now()
	s.cfg.Observer.JobStarted()
	tr := newTracker(s, job)
	tr.report(ctx, 0, true)
	jctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := s.keepLease(jctx, cancel, r, tr, log)
	res, err := s.execute(jctx, job, tr)
	stop()
	if errors.Is(context.Cause(jctx), errLeaseLost) {
		log.WarnContext(ctx, "encoder: job taken over by another runner; result dropped")
		s.cfg.Observer.JobEnded(OutcomeTakenOver, time.Since(started), Result{})
		return
	}
	if err == nil {
		tr.report(ctx, 100, true)
	}
	outcome := s.conclude(ctx, r, res, err, log.With("elapsed", time.Since(started).Round(time.Millisecond)))
	if outcome != OutcomeDone {
		res = Result{}
	}
	s.cfg.Observer.JobEnded(outcome, time.Since(started), res)
}

// conclude settles a run: done with its result, failed with a media
// error's reason, handed back when Run is stopping, or queued again after
// RetryDelay for a transient failure. It returns the run's outcome (an
// Outcome constant).
func (s *Service) conclude(ctx context.Context, r run, res Result, err error, log *slog.Logger) string {
	var me *mediaError
	var apply func(job *Job)
	var outcome string
	switch {
	case err == nil:
		log.InfoContext(ctx, "encoder: job done", "renditions", len(res.Renditions), "cpu_seconds", res.CPUSeconds)
		apply = func(job *Job) { job.Status, job.Result, job.Percent, job.Reason = JobDone, &res, 100, "" }
		outcome = OutcomeDone
	case errors.As(err, &me):
		log.InfoContext(ctx, "encoder: job failed", "reason", me.reason)
		apply = func(job *Job) { s.fail(job, me.reason) }
		outcome = OutcomeFailed
	case ctx.Err() != nil:
		log.InfoContext(ctx, "encoder: job handed back on shutdown")
		apply = func(job *Job) { job.Status, job.Attempts = JobQueued, job.Attempts-1 }
		outcome = OutcomeHandedBack
	default:
		log.WarnContext(ctx, "encoder: job will be retried", "err", err)
		outcome = OutcomeRetry
		apply = func(job *Job) {
			job.Status, job.LastError = JobQueued, err.Error()
			job.NotBefore = s.clock().Add(s.cfg.RetryDelay * time.Duration(job.Attempts))
		}
	}
	if serr := s.settle(ctx, r, apply); serr != nil {
		log.ErrorContext(ctx, "encoder: settle job; it runs again once its lease lapses", "err", serr)
	}
	return outcome
}

// keepLease renews run r's lease every third of Config.LeaseDuration until
// the returned stop is called; it cancels ctx with errLeaseLost when
// another runner took the job over.
func (s *Service) keepLease(ctx context.Context, cancel context.CancelCauseFunc, r run, tr *tracker, log *slog.Logger) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(s.cfg.LeaseDuration / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			videos, err := s.renew(ctx, r, tr.current())
			switch {
			case errors.Is(err, errLeaseLost):
				cancel(errLeaseLost)
				return
			case err != nil && ctx.Err() == nil:
				log.WarnContext(ctx, "encoder: renew lease", "err", err)
			case err == nil:
				tr.setVideos(videos)
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
