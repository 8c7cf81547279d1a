package auth

import (
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
	// KeyActivationDelay is how long a rotated key is published before it
	// signs (default 30s: longer than the BFF's least JWKS refetch interval).
	KeyActivationDelay time.Duration
	// MaxKeys is how many signing keys RotateKey keeps (newest signs, all
	// are published); zero means 3.
	MaxKeys int
	// OutboxInterval is how often Run retries publishing events that could
	// not be published right after their write; zero means 30 seconds.
	OutboxInterval time.Duration
	// AccountLimit bounds failed sign-ins per account: per normalized email,
	// whether or not an account has it, so the limit tells nothing about
	// which accounts exist. Zero fields take DefaultAccountLimit's.
	AccountLimit LoginLimit
	// IPLimit bounds failed sign-ins (and registrations of a taken email)
	// per client address, LoginRequest.ClientIP; zero fields take
	// DefaultIPLimit's.
	IPLimit LoginLimit
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
	if c.KeyActivationDelay <= 0 {
		c.KeyActivationDelay = 30 * time.Second
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = 3
	}
	if c.OutboxInterval <= 0 {
		c.OutboxInterval = platform.DefaultOutboxInterval
	}
	c.AccountLimit = c.AccountLimit.withDefaults(DefaultAccountLimit)
	c.IPLimit = c.IPLimit.withDefaults(DefaultIPLimit)
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
	now    platform.Clock
	log    *slog.Logger
	hasher *hasher
	users  *platform.KeySet // ids of all users, for ListUsers
	// revocations holds the ids of users with a recent revocation record,
	// for RecentRevocations.
	revocations *platform.KeySet
	outbox      *platform.Outbox
	keys        keyCache
	limits      *limiter
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
		cfg:         cfg,
		state:       state,
		now:         clock,
		log:         log,
		hasher:      h,
		users:       platform.NewKeySet(state, "users", keySetShards),
		revocations: platform.NewKeySet(state, revocationSet, keySetShards),
		outbox:      platform.NewOutbox(state, pub, log),
		limits:      &limiter{state: state, log: log, account: cfg.AccountLimit, ip: cfg.IPLimit},
	}, nil
}

// clock returns the current time in UTC.
func (s *Service) clock() time.Time { return s.now().UTC() }

// event builds one event on Topic.
func (s *Service) event(typ string, now time.Time, payload any) (platform.Event, error) {
	return platform.NewEvent(Source, Topic, typ, now, payload)
}

// op wraps a method's error with the method name; the kind and the public
// message stay those of the cause.
func op(method string, err error) error {
	return fmt.Errorf("auth.%s: %w", method, err)
}
