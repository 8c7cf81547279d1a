package subscription

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Service)(nil)

// Source is the CloudEvents source of every event the service publishes.
const Source = "subscription"

// conflictRetries bounds how often a read-modify-write is retried after a
// lost optimistic-concurrency race.
const conflictRetries = 16

// Shards of the enumeration key sets: subscriptions grow with the viewers,
// plans stay few, and first charges are held only for a Subscribe's
// moment (or until the sweep settles one a crash left).
const (
	subShards      = 16
	planShards     = 2
	chargingShards = 4
)

// Config tunes the service. The zero Config is the production setting.
type Config struct {
	// DayLength is how long a billing day lasts: trial days, the default
	// retry delays, and the periods when days are shortened (default 24
	// hours; at least one second). With real days a MONTHLY period is a
	// calendar month and a YEARLY one a calendar year; with shortened days
	// (only to watch renewals happen in a test or a demo) they are 30 and
	// 365 days.
	DayLength time.Duration
	// RetrySchedule is how long after each declined renewal charge the next
	// attempt comes: after the first decline the subscription is PAST_DUE
	// and charged again RetrySchedule[0] later, and so on; a decline after
	// the last retry expires it. Empty means 1, 3 and 5 billing days.
	RetrySchedule []time.Duration
	// StreamTTL is how long a stream stays live after its last StartStream
	// or RecordProgress (default 60 seconds).
	StreamTTL time.Duration
	// SweepInterval is how often Run runs the renewal sweep (default one
	// minute).
	SweepInterval time.Duration
	// OutboxInterval is how often Run and RunOutbox publish events that
	// could not be published right after their write (default 30 seconds).
	OutboxInterval time.Duration
	// FinishedRatio is the share of a video's duration from which it counts
	// as finished and leaves continue watching (default 0.95).
	FinishedRatio float64
	// HistoryLimit is how many history entries are kept per viewer, the
	// most recent ones (default 500).
	HistoryLimit int
}

// realDay is the length of a day on the calendar.
const realDay = 24 * time.Hour

// defaultRetryDays are the billing days of the default RetrySchedule.
var defaultRetryDays = [...]int{1, 3, 5}

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	c.DayLength = positive(c.DayLength, realDay)
	if len(c.RetrySchedule) == 0 {
		for _, n := range defaultRetryDays {
			c.RetrySchedule = append(c.RetrySchedule, time.Duration(n)*c.DayLength)
		}
	}
	c.RetrySchedule = append([]time.Duration(nil), c.RetrySchedule...)
	c.StreamTTL = positive(c.StreamTTL, 60*time.Second)
	c.SweepInterval = positive(c.SweepInterval, time.Minute)
	c.OutboxInterval = positive(c.OutboxInterval, platform.DefaultOutboxInterval)
	c.HistoryLimit = positive(c.HistoryLimit, 500)
	if c.FinishedRatio <= 0 || c.FinishedRatio > 1 {
		c.FinishedRatio = 0.95
	}
	return c
}

// check reports a Config New cannot work with.
func (c Config) check() error {
	if c.DayLength < time.Second {
		// Renewal keys name a period by its start in whole seconds.
		return platform.Errorf(platform.KindInvalid, "subscription: a billing day must last at least a second, got %v", c.DayLength)
	}
	for _, d := range c.RetrySchedule {
		if d <= 0 {
			return platform.Errorf(platform.KindInvalid, "subscription: retry delays must be positive, got %v", d)
		}
	}
	return nil
}

// positive returns v, or def when v is not positive.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Service is the subscription core: plans, subscriptions and their
// renewals, invoices, entitlements and watch progress. All of its data
// lives in its own platform.State (see the package documentation for the
// keys) and its events go out through a transactional outbox. It is safe
// for concurrent use, also by several replicas sharing one state.
type Service struct {
	cfg      Config
	state    platform.State
	payments Payments
	now      platform.Clock
	log      *slog.Logger
	outbox   *platform.Outbox
	plans    *platform.KeySet // plan ids
	subs     *platform.KeySet // user ids with a subscription record
	charging *platform.KeySet // user ids whose claim holds a first charge
}

// New returns the service over its own state, the publisher of its events
// and the payment gateway. A nil clock means the system clock and a nil
// logger discards. It reads nothing: the state is the truth on every call.
//
// Errors: KindInvalid for a missing state, publisher or gateway, a day
// shorter than a second, or a retry delay that is not positive.
func New(ctx context.Context, cfg Config, state platform.State, pub platform.Publisher, payments Payments, clock platform.Clock, log *slog.Logger) (*Service, error) {
	if state == nil || pub == nil || payments == nil {
		return nil, platform.Errorf(platform.KindInvalid, "subscription: New needs a state, a publisher and a payment gateway")
	}
	cfg = cfg.withDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = platform.SystemClock
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "subscription")
	return &Service{
		cfg:      cfg,
		state:    state,
		payments: payments,
		now:      clock,
		log:      log,
		outbox:   platform.NewOutbox(state, pub, log),
		plans:    platform.NewKeySet(state, "plans", planShards),
		subs:     platform.NewKeySet(state, "subs", subShards),
		charging: platform.NewKeySet(state, "charging", chargingShards),
	}, nil
}

// clock returns the current time in UTC without a monotonic reading, so it
// survives a JSON round trip unchanged.
func (s *Service) clock() time.Time { return s.now().UTC().Round(0) }

// event builds one event on Topic.
func (s *Service) event(typ string, now time.Time, payload any) (platform.Event, error) {
	return platform.NewEvent(Source, Topic, typ, now, payload)
}

// subEvent builds the event of one subscription transition.
func (s *Service) subEvent(typ string, now time.Time, sub Subscription) (platform.Event, error) {
	return s.event(typ, now, SubscriptionChanged{Subscription: sub})
}

// op wraps a method's error with the method name; the kind, code and
// public message stay those of the cause.
func op(method string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("subscription.%s: %w", method, err)
}

// invalid returns a KindInvalid error with a formatted client-safe message.
func invalid(format string, args ...any) error {
	return platform.Errorf(platform.KindInvalid, format, args...)
}

// conflict returns a KindConflict error with a formatted client-safe
// message.
func conflict(format string, args ...any) error {
	return platform.Errorf(platform.KindConflict, format, args...)
}
