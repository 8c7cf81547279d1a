package media

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Defaults of KeyRingConfig.
const (
	// DefaultKeyReloadInterval is how often a replica reloads the ring, and
	// the least time between two reloads for a token naming an unknown key.
	DefaultKeyReloadInterval = 10 * time.Second
	// DefaultKeyActivationDelay is how long after a rotation the new key
	// starts signing: more than two reload intervals, so that every replica
	// has loaded it before it signs a URL one of them must verify.
	DefaultKeyActivationDelay = 30 * time.Second
)

const (
	// reloadTimeout bounds a reload made for an unknown key id: the request
	// that asked for it may be waiting.
	reloadTimeout = 5 * time.Second
	// rotateTries bounds the read-modify-write rounds of a rotation that
	// races another replica's.
	rotateTries = 5
	// MaxKeys bounds the ring: a key verifies for about a day after it
	// stops signing, so without a bound a loop of rotations would grow the
	// ring, which every replica reads every reload interval, without end.
	// Sixteen is far more than any rotation schedule needs.
	MaxKeys = 16
)

// KeyRingConfig configures a KeyRing; zero values take the defaults.
type KeyRingConfig struct {
	ReloadInterval  time.Duration
	ActivationDelay time.Duration
	// Clock defaults to platform.SystemClock.
	Clock platform.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// KeyRing is a replica's copy of the media signing keys kept in the BFF's
// State: every key there verifies URLs until it is retired, and the newest
// active one signs. It is safe for concurrent use.
type KeyRing struct {
	state           platform.State
	clock           platform.Clock
	log             *slog.Logger
	reloadEvery     time.Duration
	activationDelay time.Duration

	keys atomic.Pointer[[]storedKey] // as last loaded, oldest first

	reloadMu sync.Mutex // one reload at a time
	triedAt  time.Time  // the last reload's start; guarded by reloadMu
}

// Rotation is the outcome of Signer.RotateKey.
type Rotation struct {
	// KID is the new key's id, the first part of every token it signs.
	KID string
	// ActiveAt is when the new key starts signing.
	ActiveAt time.Time
	// Keys are the ids of every key in the ring now, oldest first.
	Keys []string
}

// LoadKeyRing loads the ring of media signing keys shared by every BFF
// replica from state, creating it when there is none: its first key is the
// single key of earlier versions (key "media-signing-key"), so their URLs
// keep playing, or a new random key. Replicas starting together agree on
// one ring. Run keeps the copy current.
//
// Errors: KindInvalid for an activation delay not longer than two reload
// intervals; KindInternal for a corrupt stored ring or key; a failed read
// or write keeps its kind (KindUnavailable).
func LoadKeyRing(ctx context.Context, state platform.State, cfg KeyRingConfig) (*KeyRing, error) {
	r := &KeyRing{state: state, clock: cfg.Clock, log: cfg.Logger,
		reloadEvery: cfg.ReloadInterval, activationDelay: cfg.ActivationDelay}
	if r.clock == nil {
		r.clock = platform.SystemClock
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.reloadEvery <= 0 {
		r.reloadEvery = DefaultKeyReloadInterval
	}
	if r.activationDelay <= 0 {
		r.activationDelay = DefaultKeyActivationDelay
	}
	if r.activationDelay <= 2*r.reloadEvery {
		return nil, platform.Errorf(platform.KindInvalid, "media: key activation delay %v must exceed two reload intervals (%v)", r.activationDelay, r.reloadEvery)
	}
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Run reloads the ring every reload interval until ctx ends, then returns
// nil. A failed reload is logged and the last ring kept.
func (r *KeyRing) Run(ctx context.Context) error {
	tick := time.NewTicker(r.reloadEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if err := r.Reload(ctx); err != nil && ctx.Err() == nil {
				r.log.WarnContext(ctx, "media: reload signing keys failed; keeping the last loaded", "err", err)
			}
		}
	}
}

// Reload reads the ring from the state now.
//
// Errors: as LoadKeyRing's.
func (r *KeyRing) Reload(ctx context.Context) error {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	return r.reloadLocked(ctx)
}

func (r *KeyRing) reloadLocked(ctx context.Context) error {
	r.triedAt = r.clock()
	ring, _, err := readRing(ctx, r.state, r.triedAt)
	if err != nil {
		return fmt.Errorf("media: load signing keys: %w", err)
	}
	r.keys.Store(&ring.Keys)
	return nil
}

// reloadForUnknown reloads the ring for a token naming a key this replica
// does not know, unless a reload started within the reload interval:
// anyone can send a made-up key id, and must not make every request a
// State read. Concurrent callers wait for one reload.
func (r *KeyRing) reloadForUnknown(ctx context.Context) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	if r.clock().Sub(r.triedAt) < r.reloadEvery {
		return
	}
	// The reload serves every caller waiting on it: one caller giving up
	// must not fail the others.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reloadTimeout)
	defer cancel()
	if err := r.reloadLocked(ctx); err != nil {
		r.log.WarnContext(ctx, "media: reload signing keys for an unknown key id failed", "err", err)
	}
}

// signing returns the key that signs at now: the newest active one.
func (r *KeyRing) signing(now time.Time) storedKey {
	keys := *r.keys.Load()
	for i := len(keys) - 1; i > 0; i-- {
		if !keys[i].ActiveAt.After(now) {
			return keys[i]
		}
	}
	return keys[0]
}

// lookup returns the key that verifies a token naming kid ("" for a
// legacy token), reloading the ring once (rate-limited) for an unknown id.
// A key retired longer than window ago verifies nothing.
//
// Errors: KindForbidden for an unknown or retired key.
func (r *KeyRing) lookup(ctx context.Context, kid string, window time.Duration) ([]byte, error) {
	key, found := find(*r.keys.Load(), kid, r.clock(), window)
	if !found && kid != "" {
		r.reloadForUnknown(ctx)
		key, found = find(*r.keys.Load(), kid, r.clock(), window)
	}
	if key == nil {
		if found {
			return nil, invalidToken(fmt.Errorf("key %q retired", kid))
		}
		return nil, invalidToken(fmt.Errorf("unknown key %q", kid))
	}
	return key, nil
}

// find returns the key that kid names ("" names the legacy key), nil when
// it is retired for longer than window, and whether the ring has it.
func find(keys []storedKey, kid string, now time.Time, window time.Duration) ([]byte, bool) {
	for i, k := range keys {
		if (kid == "" && k.Legacy) || (kid != "" && k.KID == kid) {
			if !usable(keys, i, now, window) {
				return nil, true
			}
			return k.Key, true
		}
	}
	return nil, false
}

// retiredAt returns when keys[i] stopped signing: the earliest activation,
// by now, of a key added after it. false: it still signs.
func retiredAt(keys []storedKey, i int, now time.Time) (time.Time, bool) {
	var at time.Time
	retired := false
	for _, later := range keys[i+1:] {
		if !later.ActiveAt.After(now) && (!retired || later.ActiveAt.Before(at)) {
			at, retired = later.ActiveAt, true
		}
	}
	return at, retired
}

// rotate adds a key that signs from ActivationDelay on and drops the keys
// retired for longer than window; the signing key and keys not active yet
// are never retired, so they stay. The write is conditional on the ring
// read (ETag), so rotations racing on two replicas both land.
//
// Errors: KindRateLimited when the ring would hold more than MaxKeys keys
// (the message says when the next one retires); KindConflict after
// rotateTries lost races; a failed read or write keeps its kind.
func (r *KeyRing) rotate(ctx context.Context, window time.Duration) (Rotation, error) {
	var out Rotation
	var dropped []string
	err := platform.RetryConflict(ctx, rotateTries, func() error {
		now := r.clock()
		ring, etag, err := readRing(ctx, r.state, now)
		if err != nil {
			return err
		}
		taken := make(map[string]int, len(ring.Keys))
		for i, k := range ring.Keys {
			taken[k.KID] = i
		}
		next, err := generateKey(now, taken)
		if err != nil {
			return err
		}
		next.ActiveAt = now.Add(r.activationDelay)
		all := append(ring.Keys, next)
		kept := make([]storedKey, 0, len(all))
		out, dropped = Rotation{KID: next.KID, ActiveAt: next.ActiveAt}, nil
		for i, k := range all {
			if !usable(all, i, now, window) {
				dropped = append(dropped, k.KID)
				continue
			}
			kept = append(kept, k)
			out.Keys = append(out.Keys, k.KID)
		}
		if len(kept) > MaxKeys {
			return tooManyKeys(all, now, window)
		}
		return platform.SetJSON(ctx, r.state, ringKey, storedRing{Keys: kept}, etag, false)
	})
	if err != nil {
		return Rotation{}, fmt.Errorf("media: rotate signing key: %w", err)
	}
	r.log.InfoContext(ctx, "media: rotated the signing key", "kid", out.KID, "active_at", out.ActiveAt, "dropped", dropped)
	// This replica knows the key at once; the others within a reload
	// interval, before it signs.
	if err := r.Reload(ctx); err != nil {
		r.log.WarnContext(ctx, "media: reload after rotating failed", "err", err)
	}
	return out, nil
}

// tooManyKeys is the error of a rotation that would grow the ring past
// MaxKeys: it says when the first of its keys retires, or that the newest
// are not even active yet.
func tooManyKeys(keys []storedKey, now time.Time, window time.Duration) error {
	var next time.Time
	for i := range keys {
		if at, retired := retiredAt(keys, i, now); retired && (next.IsZero() || at.Add(window).Before(next)) {
			next = at.Add(window)
		}
	}
	when := "once the newest keys are active and the older ones retire"
	if !next.IsZero() {
		when = "after " + next.UTC().Format(time.RFC3339) + ", when the oldest retires"
	}
	return platform.Errorf(platform.KindRateLimited,
		"the ring already holds %d media signing keys that verify URLs, the most it may: rotate again %s", MaxKeys, when)
}

// usable reports whether keys[i] still verifies at now.
func usable(keys []storedKey, i int, now time.Time, window time.Duration) bool {
	at, retired := retiredAt(keys, i, now)
	return !retired || now.Before(at.Add(window))
}
