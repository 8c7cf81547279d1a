package dapr

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.DeadLetters = (*DeadLetterStore)(nil)

// keyPrefix namespaces the dead-letter bookkeeping in the app's State.
const keyPrefix = "dflix.deadletters/"

// deadLetterShards is how many documents list the dead letters.
const deadLetterShards = 8

// DeadLetterStore is a platform.DeadLetters over the app's dead-letter
// topics and its own State.
//
// Every Dapr subscription of the app dead-letters to a topic of its own
// (Config.DeadLetterTopic + "." + its name), and the DeadLetterStore
// subscribes to each of them at POST /events/deadletters.<name>: when the
// sidecar gives up on an event (the handler dropped it, the resiliency
// policy's retries ran out, or the app could not be reached at all) the
// letter arrives addressed to its subscription. The Subscriber records in
// the State each failed delivery (attempts, error) of this app, and a letter
// carries that record when there is one; without one the app never saw the
// event, and the letter says so. Redrive publishes the event again on its
// topic, addressed to its subscription alone.
type DeadLetterStore struct {
	state platform.State
	pub   *Publisher
	index *platform.KeySet
	appID string
}

// unreachableReason is the reason of a dead letter whose handler never ran:
// no failure was recorded, so daprd could not deliver the event to the app.
const unreachableReason = "retries exhausted; the consumer was unreachable"

// DeadLetters has s's Subscriber record failed deliveries in a
// DeadLetterStore on state (the app's own store) and subscribe it to the
// dead-letter topic of each of its subscriptions, those made before and
// after this call. Call it before the app serves, at most once.
//
// Errors: KindInvalid when called twice; KindInternal after the sidecar has
// read the subscriptions.
func (s *Sidecar) DeadLetters(state platform.State) (*DeadLetterStore, error) {
	d := &DeadLetterStore{
		state: state,
		pub:   &Publisher{sc: s, pubsub: s.cfg.PubSub},
		index: platform.NewKeySet(state, keyPrefix+"index", deadLetterShards),
		appID: s.cfg.AppID,
	}
	sub := s.Subscriber()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	switch {
	case sub.failures != nil:
		return nil, platform.Errorf(platform.KindInvalid, "dapr: dead letters: a store is set already")
	case sub.served && !s.cfg.DeclarativeSubscriptions:
		return nil, platform.Errorf(platform.KindInternal, "dapr: dead letters: the sidecar has read the subscriptions already; call DeadLetters before serving")
	}
	sub.failures = d
	return d, nil
}

func letterKey(id string) string { return keyPrefix + "letter/" + id }

// deadLettered turns ev, dead-lettered from the Dapr subscription of subs,
// into their dead letters and forgets their failure records of it, in one
// transaction. Another group's failures of the same event stay for its own
// letter.
func (d *DeadLetterStore) deadLettered(ctx context.Context, ev platform.Event, subs []string) error {
	return platform.RetryConflict(ctx, conflictRetries, func() error {
		rec, item, err := d.readFailures(ctx, ev.ID)
		if err != nil {
			return err
		}
		var ops []platform.Op
		rest := failureRecord{Subs: maps.Clone(rec.Subs)}
		for _, name := range subs {
			delete(rest.Subs, name)
		}
		if len(rest.Subs) < len(rec.Subs) {
			op, err := failuresOp(ev.ID, rest, item)
			if err != nil {
				return err
			}
			ops = append(ops, op)
		}
		reached := slices.ContainsFunc(subs, func(name string) bool { _, ok := rec.Subs[name]; return ok })
		if !reached {
			done, err := d.lettered(ctx, ev.ID, subs)
			if err != nil || done {
				return err
			}
		}
		var ids []string
		for _, dl := range d.letters(ev, subs, rec, reached) {
			value, err := json.Marshal(dl)
			if err != nil {
				return fmt.Errorf("encode dead letter: %w", err)
			}
			ids = append(ids, dl.ID)
			// One letter per subscription and event: a replayed stream or a
			// redriven event that fails again updates it, never adds another.
			ops = append(ops, platform.Op{Key: letterKey(dl.ID), Value: value})
		}
		if len(ids) > 0 {
			add, err := d.index.AddOps(ctx, ids...)
			if err != nil {
				return err
			}
			ops = append(ops, add...)
		}
		if len(ops) == 0 {
			return nil
		}
		return d.state.Transact(ctx, ops)
	})
}

// lettered reports whether any of subs has a dead letter of eventID already:
// a letter delivered twice (brokers deliver at least once) finds its failure
// records gone with the first, and must not be taken for one whose handlers
// never ran.
func (d *DeadLetterStore) lettered(ctx context.Context, eventID string, subs []string) (bool, error) {
	keys := make([]string, len(subs))
	for i, name := range subs {
		keys[i] = letterKey(name + ":" + eventID)
	}
	items, err := d.state.BulkGet(ctx, keys)
	return len(items) > 0, err
}

// letters are the dead letters of subs for ev. When the app was reached
// (rec holds a failure of any of subs) they are those failures not settled
// since. Otherwise none of their handlers ran, and each gets a letter of no
// attempts saying the consumer was unreachable.
func (d *DeadLetterStore) letters(ev platform.Event, subs []string, rec failureRecord, reached bool) []platform.DeadLetter {
	var out []platform.DeadLetter
	for _, name := range slices.Sorted(slices.Values(subs)) {
		f, ok := rec.Subs[name]
		switch {
		case reached && (!ok || f.Settled):
			continue
		case !reached:
			f = failure{Topic: ev.Topic, FailedAt: time.Now().UTC()}
		}
		out = append(out, d.letter(ev, name, f, reached))
	}
	return out
}

// letter builds the dead letter of subscription name's failure of ev;
// reached says whether the handler ran.
func (d *DeadLetterStore) letter(ev platform.Event, name string, f failure, reached bool) platform.DeadLetter {
	if ev.Topic == "" {
		ev.Topic = f.Topic
	}
	reason := unreachableReason
	if reached {
		reason = "dropped or retries exhausted"
		if f.Reason != "" {
			reason += ": " + f.Reason
		}
	}
	return platform.DeadLetter{
		ID:           name + ":" + ev.ID,
		Subscription: name,
		Event:        ev,
		Reason:       reason,
		Attempts:     f.Attempts,
		FailedAt:     f.FailedAt,
	}
}

// ListDeadLetters returns this app's dead letters, oldest failure first.
//
// Errors: the State's (KindUnavailable when it cannot be reached;
// KindInternal for a corrupt record).
func (d *DeadLetterStore) ListDeadLetters(ctx context.Context) ([]platform.DeadLetter, error) {
	ids, err := d.index.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("dapr: list dead letters: %w", err)
	}
	out := []platform.DeadLetter{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = letterKey(id)
	}
	items, err := d.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("dapr: list dead letters: %w", err)
	}
	for _, it := range items {
		var dl platform.DeadLetter
		if err := json.Unmarshal(it.Value, &dl); err != nil {
			return nil, platform.E(platform.KindInternal, "corrupt dead letter", fmt.Errorf("dapr: list dead letters: decode %s: %w", it.Key, err))
		}
		out = append(out, dl)
	}
	slices.SortFunc(out, func(a, b platform.DeadLetter) int {
		return cmp.Or(a.FailedAt.Compare(b.FailedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Redrive publishes dead letter id's event again on its topic, addressed to
// its subscription alone (the other subscriptions of the topic acknowledge it
// untouched), then removes the dead letter. Should the removal fail after the
// publish, the dead letter stays listed and a second redrive delivers the
// event again, which idempotent handlers tolerate.
//
// Errors: KindNotFound for an unknown id; KindUnavailable when the State or
// the sidecar cannot be reached.
func (d *DeadLetterStore) Redrive(ctx context.Context, id string) error {
	item, err := d.state.Get(ctx, letterKey(id))
	if platform.Is(err, platform.KindNotFound) {
		return platform.Errorf(platform.KindNotFound, "dead letter %q not found", id)
	}
	if err != nil {
		return fmt.Errorf("dapr: redrive %s: %w", id, err)
	}
	var dl platform.DeadLetter
	if err := json.Unmarshal(item.Value, &dl); err != nil {
		return platform.E(platform.KindInternal, "corrupt dead letter", fmt.Errorf("dapr: redrive %s: %w", id, err))
	}
	if err := d.pub.publish(ctx, dl.Event, d.appID+"/"+dl.Subscription); err != nil {
		return fmt.Errorf("dapr: redrive %s: %w", id, err)
	}
	err = platform.RetryConflict(ctx, conflictRetries, func() error {
		ops, err := d.index.RemoveOps(ctx, id)
		if err != nil {
			return err
		}
		return d.state.Transact(ctx, append(ops, platform.Op{Key: letterKey(id), Delete: true}))
	})
	if err != nil {
		return fmt.Errorf("dapr: redrive %s: remove: %w", id, err)
	}
	return nil
}
