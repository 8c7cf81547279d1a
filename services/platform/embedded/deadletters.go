package embedded

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/dflix/dflix/services/platform"
	bolt "go.etcd.io/bbolt"
)

// ListDeadLetters returns every dead letter, oldest failure first.
//
// Errors: KindUnavailable after Close or when ctx has ended.
func (b *Bus) ListDeadLetters(ctx context.Context) ([]platform.DeadLetter, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedded: list dead letters: %w", err)
	}
	out := []platform.DeadLetter{}
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(deadBucket)).ForEach(func(k, v []byte) error {
			var dl platform.DeadLetter
			if err := json.Unmarshal(v, &dl); err != nil {
				return fmt.Errorf("decode dead letter %s: %w", k, err)
			}
			out = append(out, dl)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: list dead letters: %w", boltError(err))
	}
	slices.SortFunc(out, func(a, b platform.DeadLetter) int {
		return cmp.Or(a.FailedAt.Compare(b.FailedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// Redrive removes the dead letter id and queues its event again for its
// subscription, behind the events already waiting, with attempts reset.
//
// Errors: KindNotFound for an unknown id; KindUnavailable after Close or
// when ctx has ended.
func (b *Bus) Redrive(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: redrive %s: %w", id, err)
	}
	var key string
	err := b.db.Update(func(tx *bolt.Tx) error {
		dead := tx.Bucket([]byte(deadBucket))
		v := dead.Get([]byte(id))
		if v == nil {
			return platform.Errorf(platform.KindNotFound, "dead letter %q not found", id)
		}
		var dl platform.DeadLetter
		if err := json.Unmarshal(v, &dl); err != nil {
			return fmt.Errorf("decode dead letter: %w", err)
		}
		key = dl.Subscription
		seq, err := tx.Bucket([]byte(queuesBucket)).NextSequence()
		if err != nil {
			return fmt.Errorf("sequence: %w", err)
		}
		value, err := json.Marshal(delivery{Event: dl.Event})
		if err != nil {
			return fmt.Errorf("encode delivery: %w", err)
		}
		if err := putReady(tx, key, seq, value); err != nil {
			return err
		}
		return dead.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("embedded: redrive %s: %w", id, boltError(err))
	}
	b.wake(key)
	return nil
}
