package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Service)(nil)

// Source is the CloudEvents source of every event catalog publishes.
const Source = "catalog"

// conflictRetries bounds how often a read-modify-write is retried after a
// lost optimistic-concurrency race.
const conflictRetries = 16

// Shards of the enumeration key sets: the video set grows large, so it is
// spread wider to keep each shard document small.
const (
	videoShards    = 64
	taxonomyShards = 8
)

// Config tunes the service. The zero Config is the production setting.
type Config struct {
	// OutboxInterval is how often Run retries publishing events that could
	// not be published right after their write; zero means 30 seconds.
	OutboxInterval time.Duration
	// IndexDir is where the search index, rebuilt from the state at every
	// start, keeps its scratch files: New makes a fresh directory inside it
	// and Close removes that. Empty means the system's temporary directory.
	IndexDir string
}

func (c Config) withDefaults() Config {
	if c.OutboxInterval <= 0 {
		c.OutboxInterval = platform.DefaultOutboxInterval
	}
	return c
}

// Service is the catalog core. The state is the truth; every replica keeps
// an in-memory projection of it (videos, taxonomy, sorted browse orders) and
// a full-text index, loaded by New and kept current by its own writes and by
// the events of the other replicas (see Subscriptions). It is safe for
// concurrent use, also by several replicas sharing one state.
type Service struct {
	cfg    Config
	state  platform.State
	now    platform.Clock
	log    *slog.Logger
	videos *platform.KeySet
	cats   *taxonomy[Category]
	genres *taxonomy[Genre]
	casts  *taxonomy[CastMember]
	outbox *platform.Outbox
	proj   *projection
	index  *searchIndex

	closeOnce sync.Once
	closeErr  error
}

// New loads every entity from the state into the projection and builds the
// search index. A nil clock means the system clock and a nil logger
// discards.
//
// Errors: the state's kind when it cannot be read (KindUnavailable), and
// KindInternal for a corrupt entry or an index that cannot be built.
func New(ctx context.Context, cfg Config, state platform.State, pub platform.Publisher, clock platform.Clock, log *slog.Logger) (*Service, error) {
	if state == nil || pub == nil {
		return nil, errors.New("catalog: New needs a state and a publisher")
	}
	cfg = cfg.withDefaults()
	if clock == nil {
		clock = platform.SystemClock
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		cfg:    cfg,
		state:  state,
		now:    clock,
		log:    log,
		videos: platform.NewKeySet(state, "videos", videoShards),
		cats:   newCategories(state),
		genres: newGenres(state),
		casts:  newCastMembers(state),
		outbox: platform.NewOutbox(state, pub, log),
		proj:   newProjection(),
	}
	if err := s.openIndex(); err != nil {
		return nil, err
	}
	if err := s.load(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// openIndex creates the empty search index under cfg.IndexDir.
func (s *Service) openIndex() error {
	idx, err := openSearchIndex(s.cfg.IndexDir)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	s.index = idx
	return nil
}

// Close releases the search index. The service must not be used after.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		if s.index != nil {
			s.closeErr = s.index.close()
		}
	})
	return s.closeErr
}

// clock returns the current time in UTC, without a monotonic reading, so
// that it survives a JSON round trip unchanged.
func (s *Service) clock() time.Time { return s.now().UTC() }

// event builds one event on Topic.
func (s *Service) event(typ string, now time.Time, payload any) (platform.Event, error) {
	return platform.NewEvent(Source, Topic, typ, now, payload)
}

// op wraps a method's error with the method name; the kind and the public
// message stay those of the cause.
func op(method string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("catalog.%s: %w", method, err)
}

// newID returns a fresh time-ordered id (UUID v7).
func newID() (string, error) {
	u, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return u.String(), nil
}
