package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Service)(nil)

// Config tunes the service. The zero Config is the production setting.
type Config struct {
	// Argon2 are the cost parameters of new password hashes; each zero field
	// takes its value from DefaultArgon2Params. Tests pass tiny ones to run
	// fast.
	Argon2 Argon2Params
	// MaxConcurrentHashes bounds the argon2 computations running at once
	// (each holds Argon2.MemoryKiB of memory); zero means GOMAXPROCS.
	MaxConcurrentHashes int
	// AccessTokenTTL is the lifetime of access tokens; zero means
	// auth.AccessTokenTTL.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of each refresh token (it slides: every
	// rotation issues a token with a fresh lifetime); zero means
	// auth.RefreshTokenTTL.
	RefreshTokenTTL time.Duration
	// KeyCacheTTL is how long a replica signs with its cached signing keys
	// before it reads them again from the state (to pick up a rotation done
	// by another replica); zero means one minute. JWKS always reads fresh.
	KeyCacheTTL time.Duration
	// MaxKeys is how many signing keys RotateKey keeps (newest signs, all
	// are published); zero means 3.
	MaxKeys int
	// OutboxInterval is how often Run retries publishing events that could
	// not be published right after their write; zero means 30 seconds.
	OutboxInterval time.Duration
}

func (c Config) withDefaults() Config {
	c.Argon2 = c.Argon2.withDefaults()
	if c.AccessTokenTTL <= 0 {
		c.AccessTokenTTL = AccessTokenTTL
	}
	if c.RefreshTokenTTL <= 0 {
		c.RefreshTokenTTL = RefreshTokenTTL
	}
	if c.KeyCacheTTL <= 0 {
		c.KeyCacheTTL = time.Minute
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = 3
	}
	if c.OutboxInterval <= 0 {
		c.OutboxInterval = 30 * time.Second
	}
	return c
}

// Source is the CloudEvents source of every event auth publishes.
const Source = "auth"

// conflictRetries bounds how often a read-modify-write is retried after a
// lost optimistic-concurrency race.
const conflictRetries = 16

// keySetShards spreads the enumeration sets over this many shard keys, so
// concurrent writers rarely conflict on the same shard.
const keySetShards = 8

// Service is the auth service core: accounts, password sign-in, rotating
// refresh tokens, EdDSA-signed access tokens and their JWKS. It keeps all of
// its data in its own platform.State (see the package documentation for the
// keys) and publishes its facts on Topic through a transactional outbox.
// It is safe for concurrent use, also by several replicas sharing one state.
type Service struct {
	cfg    Config
	state  platform.State
	pub    platform.Publisher
	now    platform.Clock
	log    *slog.Logger
	hasher *hasher
	users  *platform.KeySet // ids of all users, for ListUsers
	outbox *platform.KeySet // ids of events written but not yet published
	keys   keyCache
}

// New returns a Service over its own state and a publisher for its events.
// A nil clock means the system clock and a nil logger discards. The signing
// key is created (or loaded) on first use, not here. New fails only on an
// invalid Config.
func New(cfg Config, state platform.State, pub platform.Publisher, clock platform.Clock, log *slog.Logger) (*Service, error) {
	if state == nil || pub == nil {
		return nil, errors.New("auth: New needs a state and a publisher")
	}
	cfg = cfg.withDefaults()
	if clock == nil {
		clock = platform.SystemClock
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h, err := newHasher(cfg.Argon2, cfg.MaxConcurrentHashes)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Service{
		cfg:    cfg,
		state:  state,
		pub:    pub,
		now:    clock,
		log:    log,
		hasher: h,
		users:  platform.NewKeySet(state, "users", keySetShards),
		outbox: platform.NewKeySet(state, "outbox", keySetShards),
	}, nil
}

// clock returns the current time in UTC.
func (s *Service) clock() time.Time { return s.now().UTC() }

// event builds one event on Topic.
func (s *Service) event(typ string, now time.Time, payload any) (platform.Event, error) {
	return platform.NewEvent(Source, Topic, typ, now, payload)
}

// getJSON reads key into v and returns its ETag. A missing key is returned
// as KindNotFound with the given client-safe message.
func (s *Service) getJSON(ctx context.Context, key, notFound string, v any) (string, error) {
	item, err := s.state.Get(ctx, key)
	if platform.Is(err, platform.KindNotFound) {
		return "", platform.E(platform.KindNotFound, notFound, err)
	}
	if err != nil {
		return "", fmt.Errorf("get %s: %w", key, err)
	}
	return item.ETag, decodeItem(item, v)
}

// decodeItem unmarshals a stored JSON value.
func decodeItem(item platform.Item, v any) error {
	if err := json.Unmarshal(item.Value, v); err != nil {
		return fmt.Errorf("decode %s: %w", item.Key, err)
	}
	return nil
}

// setOp returns a write of v as JSON at key; etag "" with ifAbsent false is
// an unconditional write.
func setOp(key string, v any, etag string, ifAbsent bool) (platform.Op, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return platform.Op{}, fmt.Errorf("encode %s: %w", key, err)
	}
	return platform.Op{Key: key, Value: data, ETag: etag, IfAbsent: ifAbsent}, nil
}

// batch collects the writes of one transaction and the events it records.
type batch struct {
	ops       []platform.Op
	events    []platform.Event
	err       error
	committed bool
}

// set adds a JSON write to the batch; the first error sticks.
func (b *batch) set(key string, v any, etag string, ifAbsent bool) {
	if b.err != nil {
		return
	}
	op, err := setOp(key, v, etag, ifAbsent)
	b.ops, b.err = append(b.ops, op), err
}

// del adds a conditional delete to the batch.
func (b *batch) del(key, etag string) {
	b.ops = append(b.ops, platform.Op{Key: key, Delete: true, ETag: etag})
}

// emit adds an event to the batch.
func (b *batch) emit(s *Service, typ string, now time.Time, payload any) {
	if b.err != nil {
		return
	}
	ev, err := s.event(typ, now, payload)
	b.events, b.err = append(b.events, ev), err
}

// commit applies the batch, with its events written to the outbox, as one
// transaction. A lost race comes back as KindConflict for RetryConflict.
func (s *Service) commit(ctx context.Context, b *batch) error {
	if b.err != nil {
		return b.err
	}
	ops, err := s.outboxOps(ctx, b.events)
	if err != nil {
		return err
	}
	if err := s.state.Transact(ctx, append(b.ops, ops...)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	b.committed = true
	return nil
}

// retry runs a read-modify-write until it does not lose a race.
func retry(ctx context.Context, fn func() error) error {
	return platform.RetryConflict(ctx, conflictRetries, fn)
}

// write runs attempt, a read-modify-write that fills a fresh batch and
// commits it, until it does not lose a race; then it publishes the events
// of the batch that committed, even when attempt returned an error after
// its commit (a detected refresh-token reuse revokes and then fails).
func (s *Service) write(ctx context.Context, attempt func(b *batch) error) error {
	var last *batch
	err := retry(ctx, func() error {
		last = &batch{}
		return attempt(last)
	})
	if last != nil && last.committed {
		s.publish(ctx, last.events)
	}
	var f final
	if errors.As(err, &f) {
		return f.err
	}
	return err
}

// final carries an error out of a write attempt without being retried,
// even when its kind is KindConflict (a taken email, the last admin).
type final struct{ err error }

func (f final) Error() string { return f.err.Error() }

// op wraps a method's error with the method name; the kind and the public
// message stay those of the cause.
func op(method string, err error) error {
	return fmt.Errorf("auth.%s: %w", method, err)
}
