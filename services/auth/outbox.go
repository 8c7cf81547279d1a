package auth

import "context"

// FlushOutbox publishes every event still waiting in the outbox (written by
// a change but not published right after it), in no particular order. It
// returns how many it published and the first error; events that failed
// stay for the next try.
func (s *Service) FlushOutbox(ctx context.Context) (int, error) {
	n, err := s.outbox.Flush(ctx)
	if err != nil {
		return n, op("FlushOutbox", err)
	}
	return n, nil
}

// Run publishes leftover outbox events at start and then every
// Config.OutboxInterval until ctx is done; failures are logged and retried
// on the next tick. Start it once per process, beside the server: it returns
// nil when ctx is canceled.
func (s *Service) Run(ctx context.Context) error {
	return s.outbox.Run(ctx, s.cfg.OutboxInterval)
}
