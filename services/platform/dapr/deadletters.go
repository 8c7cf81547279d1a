package dapr

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.DeadLetters = (*DeadLetterStore)(nil)

// keyPrefix namespaces the dead-letter bookkeeping in the app's State.
const keyPrefix = "dflix.deadletters/"

// deadLetterShards is how many documents list the dead letters.
const deadLetterShards = 8

// DeadLetterStore is a platform.DeadLetters over the dead-letter topic and
// the app's own State.
//
// The Subscriber records in the State each failed delivery (subscription,
// attempts, error) of this app. When the sidecar gives up on an event (the
// handler dropped it, or the resiliency policy's retries ran out) it
// publishes the event on Config.DeadLetterTopic; DeadLetterStore receives it
// at POST /events/deadletters and turns this app's failure records of that
// event into dead letters, once. An event on the topic that this app has no
// failure record of (another app's dead letter) is acknowledged and ignored.
// Redrive publishes the event again on its topic, addressed to its
// subscription alone.
type DeadLetterStore struct {
	state platform.State
	pub   *Publisher
	index *platform.KeySet
	appID string
}

// DeadLetters subscribes a DeadLetterStore on state (the app's own store) to
// Config.DeadLetterTopic, through s's Subscriber, and has the Subscriber
// record failed deliveries in it. Call it before the app serves, at most once.
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
	err := sub.add(platform.Subscription{Topic: s.cfg.DeadLetterTopic, Name: deadLetterRoute, Handle: d.receive}, "")
	if err != nil {
		return nil, fmt.Errorf("dapr: dead letters: %w", err)
	}
	sub.mu.Lock()
	sub.failures = d
	sub.mu.Unlock()
	return d, nil
}

func letterKey(id string) string { return keyPrefix + "letter/" + id }

// receive turns this app's failure records of a dead-lettered event into
// dead letters and deletes the records, in one transaction.
func (d *DeadLetterStore) receive(ctx context.Context, ev platform.Event) error {
	return platform.RetryConflict(ctx, conflictRetries, func() error {
		rec, item, err := d.readFailures(ctx, ev.ID)
		if err != nil || item.Key == "" {
			return err // an error is retried by the sidecar; no record: not ours, or done
		}
		var ids []string
		ops := []platform.Op{{Key: item.Key, Delete: true, ETag: item.ETag}}
		for _, name := range sortedNames(rec.Subs) {
			f := rec.Subs[name]
			if f.Settled {
				continue
			}
			dl := d.letter(ev, name, f)
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
		return d.state.Transact(ctx, ops)
	})
}

// letter builds the dead letter of subscription name's failure of ev.
func (d *DeadLetterStore) letter(ev platform.Event, name string, f failure) platform.DeadLetter {
	if ev.Topic == "" {
		ev.Topic = f.Topic
	}
	reason := "dropped or retries exhausted"
	if f.Reason != "" {
		reason += ": " + f.Reason
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

func sortedNames(m map[string]failure) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
