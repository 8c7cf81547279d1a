package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// copyTries bounds the deliveries of one copy whose handler keeps failing.
const copyTries = 5

// copyTimeout bounds a copy delivered by the timer, which has no
// delivery's context to borrow.
const copyTimeout = 30 * time.Second

// sub is the faulty side of one subscription. mu serializes its handler
// calls, copies included, as the adapters deliver one subscription's
// events one at a time; mu is taken before Injector.mu, never after.
type sub struct {
	in   *Injector
	key  string
	next platform.Handler

	mu      sync.Mutex
	rnd     *rand.Rand
	n       int             // deliveries so far
	held    map[string]hold // held-back events by id
	copies  []*copied
	timer   *time.Timer // delivers copies whose MaxHold passed
	stopped bool

	open map[string]struct{} // unsettled event ids, guarded by Injector.mu
}

type hold struct {
	until    int // deliver once n reaches it
	refusals int
}

// copied is an event to handle once more.
type copied struct {
	ev       platform.Event
	due      int       // deliver once n reaches it
	deadline time.Time // or once this passes
	dropped  bool      // the original's outcome
	tries    int
}

// decision is what happens to one fresh delivery.
type decision struct {
	duplicate, redeliver, reorder bool
	delay                         time.Duration
}

// draw takes the decisions of one delivery, always drawing the same
// numbers so that the sequence depends only on the seed and the order of
// deliveries.
func (s *sub) draw() decision {
	c := s.in.cfg
	d := decision{
		duplicate: s.rnd.Float64() < c.Duplicate,
		redeliver: s.rnd.Float64() < c.Redeliver,
		reorder:   s.rnd.Float64() < c.Reorder,
	}
	delayed := s.rnd.Float64() < c.Delay
	wait := time.Duration(s.rnd.Int64N(int64(c.MaxDelay))) + 1
	if delayed {
		d.delay = wait
	}
	return d
}

// handle is the handler the adapter calls.
func (s *sub) handle(ctx context.Context, ev platform.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	s.deliverCopies(ctx, false)
	if h, ok := s.held[ev.ID]; ok {
		if s.n < h.until && h.refusals < s.in.cfg.MaxRefusals {
			h.refusals++
			s.held[ev.ID] = h
			return ErrHeld
		}
		delete(s.held, ev.ID)
		return s.settled(ev, s.next(ctx, ev))
	}
	d := s.draw()
	s.in.count(func(c *Counts) { c.Deliveries++ })
	if d.reorder {
		s.held[ev.ID] = hold{until: s.n + s.in.cfg.Later, refusals: 1}
		s.in.count(func(c *Counts) { c.Reordered++ })
		return ErrHeld
	}
	if d.delay > 0 {
		s.in.count(func(c *Counts) { c.Delayed++ })
		if err := wait(ctx, d.delay); err != nil {
			return err
		}
	}
	err := s.next(ctx, ev)
	if d.duplicate && terminal(err) {
		s.in.count(func(c *Counts) { c.Duplicated++ })
		again := s.next(ctx, ev)
		s.compare(ev, err, again)
		err = again
	}
	if d.redeliver && terminal(err) && !s.in.isClosed() {
		s.in.count(func(c *Counts) { c.Redelivered++ })
		s.copies = append(s.copies, &copied{ev: ev, due: s.n + s.in.cfg.Later,
			deadline: time.Now().Add(s.in.cfg.MaxHold), dropped: platform.IsDrop(err)})
		s.arm()
	}
	return s.settled(ev, err)
}

// settled marks ev settled when err ends its delivery, and returns err.
func (s *sub) settled(ev platform.Event, err error) error {
	if terminal(err) {
		s.in.settle(s, ev.ID)
	}
	return err
}

// terminal reports whether a handler's outcome ends a delivery: handled or
// dropped, not to be retried.
func terminal(err error) bool { return err == nil || platform.IsDrop(err) }

// compare counts a copy whose outcome contradicts the original's.
func (s *sub) compare(ev platform.Event, first, second error) {
	if !terminal(second) || platform.IsDrop(first) == platform.IsDrop(second) {
		return
	}
	s.in.count(func(c *Counts) { c.Mismatched++ })
	s.in.cfg.Log.Error("faults: a copy of an event was handled otherwise than the original",
		"subscription", s.key, "event", ev.ID, "type", ev.Type, "first", errString(first), "second", errString(second))
}

func errString(err error) string {
	if err == nil {
		return "handled"
	}
	return err.Error()
}

// deliverCopies hands over the copies that are due (all of them when
// force); s.mu must be held.
func (s *sub) deliverCopies(ctx context.Context, force bool) {
	now := time.Now()
	var keep []*copied
	for _, c := range s.copies {
		if !force && s.n < c.due && now.Before(c.deadline) {
			keep = append(keep, c)
			continue
		}
		err := s.call(ctx, c.ev)
		if terminal(err) {
			s.compare(c.ev, dropErr(c.dropped), err)
			continue
		}
		if c.tries++; c.tries >= copyTries {
			s.in.count(func(cs *Counts) { cs.Abandoned++ })
			s.in.cfg.Log.Error("faults: a copy kept failing; giving up", "subscription", s.key, "event", c.ev.ID, "err", err)
			continue
		}
		c.due, c.deadline = s.n+s.in.cfg.Later, now.Add(s.in.cfg.MaxHold)
		keep = append(keep, c)
	}
	s.copies = keep
	s.arm()
}

// call hands a copy to the handler. A panic becomes an error, as adapters
// do, since a copy delivered by the timer has no adapter above it.
func (s *sub) call(ctx context.Context, ev platform.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("faults: handler of %s panicked on event %s: %v", s.key, ev.ID, p)
		}
	}()
	return s.next(ctx, ev)
}

// dropErr stands for an original outcome in compare.
func dropErr(dropped bool) error {
	if dropped {
		return platform.Drop(ErrHeld)
	}
	return nil
}

// arm sets the timer to the earliest deadline of the copies; s.mu must be
// held.
func (s *sub) arm() {
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if len(s.copies) == 0 || s.stopped {
		return
	}
	first := slices.MinFunc(s.copies, func(a, b *copied) int { return a.deadline.Compare(b.deadline) }).deadline
	s.timer = time.AfterFunc(time.Until(first), s.fire)
}

// fire delivers the copies whose MaxHold passed.
func (s *sub) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), copyTimeout)
	defer cancel()
	s.deliverCopies(ctx, false)
}

// close stops the timer and drops the copies, after any delivery under way.
func (s *sub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	s.copies = nil
	s.arm()
}

// unsettled lists what s has not settled.
func (s *sub) unsettled() []Unsettled {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Unsettled
	for _, c := range s.copies {
		out = append(out, Unsettled{Subscription: s.key, EventID: c.ev.ID, Copy: true})
	}
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	for id := range s.open {
		out = append(out, Unsettled{Subscription: s.key, EventID: id})
	}
	return out
}

// wait waits for d or until ctx ends.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
