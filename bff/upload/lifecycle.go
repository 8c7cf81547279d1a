package upload

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dflix/dflix/services/platform"
)

// Terminate deletes the upload id: its parts and its record (tus
// termination). The source of a completed upload stays: it is the media's.
//
// Errors: KindNotFound for an unknown upload; a failed delete keeps its
// kind (KindUnavailable).
func (s *Server) Terminate(ctx context.Context, id string) error {
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return fmt.Errorf("upload: terminate %s: %w", id, err)
	}
	defer unlock()
	u, _, err := s.load(ctx, id)
	if err == nil {
		err = s.remove(ctx, u)
	}
	if err != nil {
		return fmt.Errorf("upload: terminate %s: %w", id, err)
	}
	s.deps.Logger.InfoContext(ctx, "upload terminated", "upload_id", id, "video_id", u.VideoID)
	return nil
}

// remove deletes an upload's parts, then its record and set membership.
func (s *Server) remove(ctx context.Context, u Upload) error {
	if err := s.deleteParts(ctx, u); err != nil {
		return err
	}
	return s.forget(ctx, u.ID)
}

// forget deletes an upload's record and its membership of the set.
func (s *Server) forget(ctx context.Context, id string) error {
	return s.outbox.Write(ctx, conflictTries, func(b *platform.Batch) error {
		b.Delete(recordKey(id), "")
		b.Add(s.ids.RemoveOps(ctx, id))
		return nil
	})
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	// Finished counts uploads whose interrupted completion it finished.
	Finished int
	// Removed counts expired uploads (and completed records past their
	// retention) it deleted.
	Removed int
}

// Sweep goes over every stored upload once: it finishes those whose bytes
// are all in but whose completion was interrupted, deletes the parts left
// by completed ones, and deletes expired ones with their parts. An upload
// that a request is writing on this replica is left for the next sweep. It
// goes on after a failure and returns the first.
//
// Errors: a failed read or write keeps its kind.
func (s *Server) Sweep(ctx context.Context) (SweepResult, error) {
	ids, err := s.ids.Members(ctx)
	if err != nil {
		return SweepResult{}, fmt.Errorf("upload: sweep: %w", err)
	}
	var (
		res   SweepResult
		first error
	)
	for _, id := range ids {
		if err := s.sweepOne(ctx, id, &res); err != nil && first == nil {
			first = fmt.Errorf("upload: sweep %s: %w", id, err)
		}
	}
	return res, first
}

// sweepOne does Sweep's work for one upload.
func (s *Server) sweepOne(ctx context.Context, id string, res *SweepResult) error {
	unlock, ok := s.locks.tryLock(id)
	if !ok {
		return nil
	}
	defer unlock()
	u, etag, err := s.load(ctx, id)
	if platform.Is(err, platform.KindNotFound) {
		return s.forget(ctx, id) // a member whose record is gone
	} else if err != nil {
		return err
	}
	switch now := s.deps.Clock(); {
	case !u.Completed && u.complete():
		if _, err := s.finish(ctx, u, etag); err != nil {
			return err
		}
		res.Finished++
	case !now.Before(u.ExpiresAt):
		if err := s.remove(ctx, u); err != nil {
			return err
		}
		res.Removed++
		s.deps.Logger.InfoContext(ctx, "upload expired and removed", "upload_id", id, "completed", u.Completed)
	case u.Completed:
		s.dropParts(ctx, u)
	}
	return nil
}

// Run relays the outbox (every Config.OutboxInterval) and sweeps (every
// Config.SweepInterval, see Sweep), both once at start, until ctx ends;
// failures are logged and retried on the next tick. Start it once per
// replica, beside the server: it returns nil when ctx is canceled.
func (s *Server) Run(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.outbox.Run(ctx, s.cfg.OutboxInterval) })
	g.Go(func() error { return s.sweepEvery(ctx, s.cfg.SweepInterval) })
	return g.Wait()
}

// sweepEvery sweeps now and then every interval until ctx ends.
func (s *Server) sweepEvery(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if res, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			s.deps.Logger.ErrorContext(ctx, "upload: sweep", "finished", res.Finished, "removed", res.Removed, "err", err)
		} else if res.Finished+res.Removed > 0 {
			s.deps.Logger.InfoContext(ctx, "upload: swept", "finished", res.Finished, "removed", res.Removed)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
