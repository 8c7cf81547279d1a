package subscription

import (
	"context"
	"sync"
	"time"
)

// FlushOutbox publishes every event still waiting in the outbox (written
// by a change but not published right after it), in no particular order.
// It returns how many it published and the first error; events that failed
// stay for the next try.
func (s *Service) FlushOutbox(ctx context.Context) (int, error) {
	n, err := s.outbox.Flush(ctx)
	return n, op("FlushOutbox", err)
}

// RunOutbox publishes leftover outbox events at start and then every
// Config.OutboxInterval until ctx is done. It is the background work of a
// replica whose renewals a cron binding drives (Dapr mode): start it once
// per process. It returns nil when ctx is canceled.
func (s *Service) RunOutbox(ctx context.Context) error {
	return s.outbox.Run(ctx, s.cfg.OutboxInterval)
}

// Run is the background work of the one-process mode: RunOutbox, and the
// renewal sweep (Renew) every Config.SweepInterval. Failures are logged and
// retried on the next tick. Start it once per process, beside the server;
// it returns nil when ctx is canceled.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.RunOutbox(ctx) })
	s.sweepEvery(ctx, s.cfg.SweepInterval)
	wg.Wait()
	return nil
}

// sweepEvery runs Renew now and then every interval until ctx is done.
func (s *Service) sweepEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		resp, err := s.Renew(ctx, RenewRequest{})
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.ErrorContext(ctx, "subscription: renewal sweep failed", "err", err)
		case resp != (RenewResponse{}):
			s.log.InfoContext(ctx, "subscription: renewal sweep",
				"activated", resp.Activated, "renewed", resp.Renewed, "failed", resp.Failed,
				"expired", resp.Expired, "deferred", resp.Deferred, "recovered", resp.Recovered)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
