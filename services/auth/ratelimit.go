package auth

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// LoginLimit bounds the failed sign-ins of one subject (an account or a
// client address) within a fixed window that starts at the subject's first
// failure.
type LoginLimit struct {
	// Max is how many failures the window allows; the next attempt is
	// refused until the window ends. Zero takes the default; a negative
	// Max turns the limit off.
	Max int
	// Window is how long failures are remembered; zero takes the default.
	Window time.Duration
}

// The default login limits: an online guesser gets 10 passwords per account
// and 50 per address every 15 minutes, while a person who mistypes a few
// times never notices.
var (
	DefaultAccountLimit = LoginLimit{Max: 10, Window: 15 * time.Minute}
	DefaultIPLimit      = LoginLimit{Max: 50, Window: 15 * time.Minute}
)

func (l LoginLimit) withDefaults(d LoginLimit) LoginLimit {
	l.Max = cmp.Or(l.Max, d.Max)
	if l.Window <= 0 {
		l.Window = d.Window
	}
	return l
}

// State key prefixes of the failure counters. Subjects are hashed so the
// store holds no attempted email (most belong to nobody) in clear.
const (
	attemptsAccountPrefix = "attempts/account/"
	attemptsIPPrefix      = "attempts/ip/"
	// limiterRetries bounds the re-reads after a concurrent failure won
	// the race for a counter.
	limiterRetries = 8
)

// attemptRecord counts a subject's failures in the window that began at
// Start.
type attemptRecord struct {
	Start    time.Time `json:"start"`
	Failures int       `json:"failures"`
}

// counter is one subject's record as read before an attempt.
type counter struct {
	key   string
	limit LoginLimit
	rec   attemptRecord
	etag  string // "" when the key does not exist
	// account is true for the per-account counter, which a successful
	// sign-in clears.
	account bool
}

// active reports whether the record's window is still open at now.
func (c counter) active(now time.Time) bool {
	return c.rec.Failures > 0 && now.Before(c.rec.Start.Add(c.limit.Window))
}

// limiter keeps the login failure counters in auth's own state, so every
// replica sees the same counts and they survive restarts. Its writes never
// fail a sign-in: a counter that cannot be read or written is logged and
// skipped.
type limiter struct {
	state       platform.State
	log         *slog.Logger
	account, ip LoginLimit
}

// subjects returns the counters an attempt touches (unread): the account,
// keyed by the normalized email whether or not an account has it, and the
// client address when the caller gave one.
func (l *limiter) subjects(email, clientIP string) []counter {
	var cs []counter
	if l.account.Max > 0 {
		cs = append(cs, counter{key: attemptsAccountPrefix + digest(accountKey(email)), limit: l.account, account: true})
	}
	return append(cs, l.address(clientIP)...)
}

// address returns the counter of the client address alone, none without
// an address or with the limit off.
func (l *limiter) address(clientIP string) []counter {
	ip := ipKey(clientIP)
	if ip == "" || l.ip.Max <= 0 {
		return nil
	}
	return []counter{{key: attemptsIPPrefix + digest(ip), limit: l.ip}}
}

// check reads the counters and returns errRateLimited when one of them is
// at its limit. The answer depends only on the counts, never on whether
// the account exists.
func (l *limiter) check(ctx context.Context, cs []counter, now time.Time) ([]counter, error) {
	cs, err := l.read(ctx, cs)
	if err != nil {
		l.log.WarnContext(ctx, "auth: login limits not checked", "err", err)
		return cs, nil
	}
	var wait time.Duration
	for _, c := range cs {
		if c.active(now) && c.rec.Failures >= c.limit.Max {
			wait = max(wait, c.rec.Start.Add(c.limit.Window).Sub(now))
		}
	}
	if wait > 0 {
		return cs, rateLimited(wait)
	}
	return cs, nil
}

// read fills in each counter's record and ETag in one BulkGet.
func (l *limiter) read(ctx context.Context, cs []counter) ([]counter, error) {
	if len(cs) == 0 {
		return cs, nil
	}
	keys := make([]string, len(cs))
	for i, c := range cs {
		keys[i] = c.key
	}
	items, err := l.state.BulkGet(ctx, keys)
	if err != nil {
		return cs, fmt.Errorf("read login counters: %w", err)
	}
	out := make([]counter, len(cs))
	for i, c := range cs {
		c.rec, c.etag = attemptRecord{}, ""
		for _, it := range items {
			if it.Key == c.key {
				if err := platform.DecodeJSON(it, &c.rec); err != nil {
					return cs, err
				}
				c.etag = it.ETag
			}
		}
		out[i] = c
	}
	return out, nil
}

// fail counts one failure on every counter, in one transaction conditional
// on what was read (re-read and retried when a concurrent failure wrote
// first). Errors are logged: the caller's answer stays the same.
func (l *limiter) fail(ctx context.Context, cs []counter, now time.Time) {
	if len(cs) == 0 {
		return
	}
	err := platform.RetryConflict(ctx, limiterRetries, func() error {
		ops := make([]platform.Op, 0, len(cs))
		for _, c := range cs {
			rec := attemptRecord{Start: now, Failures: 1}
			if c.active(now) {
				rec = attemptRecord{Start: c.rec.Start, Failures: c.rec.Failures + 1}
			}
			op, err := counterOp(c, rec)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
		err := l.state.Transact(ctx, ops)
		if platform.Is(err, platform.KindConflict) {
			if fresh, rerr := l.read(ctx, cs); rerr == nil {
				cs = fresh
			}
		}
		return err
	})
	if err != nil {
		l.log.WarnContext(ctx, "auth: login failure not counted", "err", err)
	}
}

// succeed clears the account's counter after a correct password, so its
// owner's earlier typos do not add up over the day. The address counter
// stays: one valid account must not let its holder reset the count of an
// address that guesses at others.
func (l *limiter) succeed(ctx context.Context, cs []counter) {
	for _, c := range cs {
		if !c.account || c.etag == "" {
			continue
		}
		if err := platform.Set(ctx, l.state, platform.Op{Key: c.key, Delete: true}); err != nil {
			l.log.WarnContext(ctx, "auth: login failures not cleared", "err", err)
		}
	}
}

func counterOp(c counter, rec attemptRecord) (platform.Op, error) {
	data, err := json.Marshal(rec)
	if err != nil {
		return platform.Op{}, fmt.Errorf("encode %s: %w", c.key, err)
	}
	return platform.Op{Key: c.key, Value: data, ETag: c.etag, IfAbsent: c.etag == ""}, nil
}

// rateLimited is the one answer for every limited attempt, whichever limit
// applies and whether or not the account exists.
func rateLimited(wait time.Duration) error {
	minutes := int((wait + time.Minute - 1) / time.Minute)
	unit := "minutes"
	if minutes <= 1 {
		minutes, unit = 1, "minute"
	}
	return platform.Errorf(platform.KindRateLimited, "too many failed sign-in attempts; try again in %d %s", minutes, unit)
}

// accountKey is the email as normalizeEmail would make it, also for input
// it refuses (those attempts count too).
func accountKey(email string) string {
	if e, err := normalizeEmail(email); err == nil {
		return e
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// ipKey is the address a limit counts: an IPv4 address, or the /64 of an
// IPv6 one (a single host usually holds a whole /64). Text that is no
// address is counted as given, bounded.
func ipKey(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return "raw:" + raw[:min(len(raw), 64)]
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		return netip.PrefixFrom(addr, 64).Masked().String()
	}
	return addr.String()
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
