package dapr

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// conflictRetries bounds the read-modify-write retries of the dead-letter
// bookkeeping.
const conflictRetries = 50

// failureRecord is what failed of one event in this app, by subscription
// name, until the sidecar forwards the event to the subscription's
// dead-letter topic or a retry succeeds. It is stored at failureKey(event id).
type failureRecord struct {
	Subs map[string]failure `json:"subs"`
}

// failure is the latest failure of one subscription's handler.
type failure struct {
	Topic    string    `json:"topic"`
	Attempts int       `json:"attempts"`
	Reason   string    `json:"reason"`
	Dropped  bool      `json:"dropped,omitempty"`
	Settled  bool      `json:"settled,omitempty"` // handled since it failed
	FailedAt time.Time `json:"failedAt"`
}

func failureKey(eventID string) string { return keyPrefix + "failure/" + eventID }

// recordFailures counts the failed outcomes of one delivery of ev and marks
// the acknowledged ones settled.
func (d *DeadLetterStore) recordFailures(ctx context.Context, ev platform.Event, outcomes []outcome) error {
	return platform.RetryConflict(ctx, conflictRetries, func() error {
		rec, item, err := d.readFailures(ctx, ev.ID)
		if err != nil {
			return err
		}
		if rec.Subs == nil {
			rec.Subs = map[string]failure{}
		}
		for _, o := range outcomes {
			f, seen := rec.Subs[o.sub]
			switch {
			case o.err != nil:
				f.Topic, f.Reason, f.Dropped, f.Settled = o.topic, o.err.Error(), o.drop, false
				f.Attempts++
				f.FailedAt = time.Now().UTC()
			case seen:
				f.Settled = true
			default:
				continue
			}
			rec.Subs[o.sub] = f
		}
		return d.writeFailures(ctx, ev.ID, rec, item)
	})
}

// clearFailures forgets the failures of the named subscriptions for an event
// they have now handled.
func (d *DeadLetterStore) clearFailures(ctx context.Context, eventID string, subs []string) error {
	return platform.RetryConflict(ctx, conflictRetries, func() error {
		rec, item, err := d.readFailures(ctx, eventID)
		if err != nil || item.Key == "" {
			return err
		}
		for name := range rec.Subs {
			if slices.Contains(subs, name) {
				delete(rec.Subs, name)
			}
		}
		return d.writeFailures(ctx, eventID, rec, item)
	})
}

// readFailures returns the record of eventID and the item it was read from
// (the zero Item when there is none).
func (d *DeadLetterStore) readFailures(ctx context.Context, eventID string) (failureRecord, platform.Item, error) {
	var rec failureRecord
	item, err := d.state.Get(ctx, failureKey(eventID))
	switch {
	case platform.Is(err, platform.KindNotFound):
		return rec, platform.Item{}, nil
	case err != nil:
		return rec, platform.Item{}, err
	}
	if err := json.Unmarshal(item.Value, &rec); err != nil {
		return rec, platform.Item{}, platform.E(platform.KindInternal, "corrupt failure record", fmt.Errorf("decode %s: %w", item.Key, err))
	}
	return rec, item, nil
}

// writeFailures writes rec over the item it was read from (deleting it when
// rec is empty), conditional on that item's ETag.
func (d *DeadLetterStore) writeFailures(ctx context.Context, eventID string, rec failureRecord, item platform.Item) error {
	if len(rec.Subs) == 0 && item.Key == "" {
		return nil
	}
	op, err := failuresOp(eventID, rec, item)
	if err != nil {
		return err
	}
	return d.state.Transact(ctx, []platform.Op{op})
}

// failuresOp is the write of rec over item (its deletion when rec is empty),
// conditional on item's ETag, or on there being none when item is zero.
func failuresOp(eventID string, rec failureRecord, item platform.Item) (platform.Op, error) {
	op := platform.Op{Key: failureKey(eventID), ETag: item.ETag, IfAbsent: item.Key == ""}
	if len(rec.Subs) == 0 {
		op.Delete, op.IfAbsent = true, false
		return op, nil
	}
	value, err := json.Marshal(rec)
	if err != nil {
		return op, fmt.Errorf("encode failure record: %w", err)
	}
	op.Value = value
	return op, nil
}
