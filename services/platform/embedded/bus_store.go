package embedded

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
	bolt "go.etcd.io/bbolt"
)

// The bus file layout:
//
//	subscriptions/<topic>/<name>          every subscription ever registered
//	queues/<topic>/<name>/ready/<seq>     deliveries not yet attempted
//	queues/<topic>/<name>/retry/<due|seq> failed deliveries, by due time
//	dead/<id>                             dead letters (platform.DeadLetter)
//
// seq is the queues bucket's sequence, taken once per publication, so ready
// deliveries are in order of publication. Keys are 8-byte big-endian
// integers; due is a Unix time in nanoseconds.
const (
	subsBucket   = "subscriptions"
	queuesBucket = "queues"
	deadBucket   = "dead"
	readyBucket  = "ready"
	retryBucket  = "retry"
)

// subKey names a subscription; names cannot hold "/", so it is unambiguous.
func subKey(topic, name string) string { return topic + "/" + name }

// delivery is one event waiting for one subscription.
type delivery struct {
	Event     platform.Event `json:"event"`
	Attempts  int            `json:"attempts"` // failed attempts so far
	LastError string         `json:"lastError,omitempty"`
}

// queued is a delivery and where it is stored.
type queued struct {
	delivery
	bucket string // readyBucket or retryBucket
	key    []byte
}

// storeSubscription records topic/name and creates its queue.
func storeSubscription(tx *bolt.Tx, topic, name string) error {
	subs, err := tx.Bucket([]byte(subsBucket)).CreateBucketIfNotExists([]byte(topic))
	if err != nil {
		return fmt.Errorf("store subscription: %w", err)
	}
	if err := subs.Put([]byte(name), []byte{}); err != nil {
		return fmt.Errorf("store subscription: %w", err)
	}
	_, err = queue(tx, subKey(topic, name))
	return err
}

// queue returns the ready and retry buckets of a subscription's queue,
// creating them if needed (in a writable tx).
func queue(tx *bolt.Tx, key string) (*bolt.Bucket, error) {
	q, err := tx.Bucket([]byte(queuesBucket)).CreateBucketIfNotExists([]byte(key))
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", key, err)
	}
	for _, name := range []string{readyBucket, retryBucket} {
		if _, err := q.CreateBucketIfNotExists([]byte(name)); err != nil {
			return nil, fmt.Errorf("queue %s: %w", key, err)
		}
	}
	return q, nil
}

// enqueue stores ev as a ready delivery for every recorded subscription of
// its topic and returns their keys.
func enqueue(tx *bolt.Tx, ev platform.Event) ([]string, error) {
	subs := tx.Bucket([]byte(subsBucket)).Bucket([]byte(ev.Topic))
	if subs == nil {
		return []string{}, nil
	}
	seq, err := tx.Bucket([]byte(queuesBucket)).NextSequence()
	if err != nil {
		return nil, fmt.Errorf("sequence: %w", err)
	}
	value, err := json.Marshal(delivery{Event: ev})
	if err != nil {
		return nil, platform.E(platform.KindInvalid, "event does not encode", err)
	}
	var keys []string
	err = subs.ForEach(func(name, _ []byte) error {
		key := subKey(ev.Topic, string(name))
		keys = append(keys, key)
		return putReady(tx, key, seq, value)
	})
	return keys, err
}

func putReady(tx *bolt.Tx, key string, seq uint64, value []byte) error {
	q, err := queue(tx, key)
	if err != nil {
		return err
	}
	if err := q.Bucket([]byte(readyBucket)).Put(u64(seq), value); err != nil {
		return fmt.Errorf("enqueue for %s: %w", key, err)
	}
	return nil
}

// nextDelivery returns the subscription's next delivery: the earliest retry that is
// due at now, else the oldest ready one. When none is found, due is when
// the earliest retry comes due (zero if there is none).
func nextDelivery(tx *bolt.Tx, key string, now time.Time) (d queued, due time.Time, found bool, err error) {
	q := tx.Bucket([]byte(queuesBucket)).Bucket([]byte(key))
	if q == nil {
		return queued{}, time.Time{}, false, nil
	}
	retry, ready := q.Bucket([]byte(retryBucket)), q.Bucket([]byte(readyBucket))
	if retry == nil || ready == nil {
		return queued{}, time.Time{}, false, nil
	}
	if k, v := retry.Cursor().First(); k != nil {
		due = time.Unix(0, int64(binary.BigEndian.Uint64(k[:8])))
		if !due.After(now) {
			d, err = decodeQueued(retryBucket, k, v)
			return d, due, err == nil, err
		}
	}
	if k, v := ready.Cursor().First(); k != nil {
		d, err = decodeQueued(readyBucket, k, v)
		return d, due, err == nil, err
	}
	return queued{}, due, false, nil
}

func decodeQueued(bucket string, k, v []byte) (queued, error) {
	d := queued{bucket: bucket, key: append([]byte{}, k...)}
	if err := json.Unmarshal(v, &d.delivery); err != nil {
		return queued{}, fmt.Errorf("decode delivery %x: %w", k, err)
	}
	return d, nil
}

// remove deletes a delivery from where next found it.
func remove(tx *bolt.Tx, key string, d queued) error {
	q := tx.Bucket([]byte(queuesBucket)).Bucket([]byte(key))
	if q == nil {
		return nil
	}
	if err := q.Bucket([]byte(d.bucket)).Delete(d.key); err != nil {
		return fmt.Errorf("remove delivery: %w", err)
	}
	return nil
}

// reschedule moves a failed delivery to the retry bucket, due at due.
func reschedule(tx *bolt.Tx, key string, d queued, due time.Time) error {
	if err := remove(tx, key, d); err != nil {
		return err
	}
	value, err := json.Marshal(d.delivery)
	if err != nil {
		return fmt.Errorf("encode delivery: %w", err)
	}
	seq := d.key[len(d.key)-8:] // the publication sequence, kept as a tiebreak
	k := append(u64(uint64(max(due.UnixNano(), 0))), seq...)
	q, err := queue(tx, key)
	if err != nil {
		return err
	}
	if err := q.Bucket([]byte(retryBucket)).Put(k, value); err != nil {
		return fmt.Errorf("reschedule delivery: %w", err)
	}
	return nil
}

// bury moves a delivery to the dead letters as dl.
func bury(tx *bolt.Tx, key string, d queued, dl platform.DeadLetter) error {
	if err := remove(tx, key, d); err != nil {
		return err
	}
	value, err := json.Marshal(dl)
	if err != nil {
		return fmt.Errorf("encode dead letter: %w", err)
	}
	if err := tx.Bucket([]byte(deadBucket)).Put([]byte(dl.ID), value); err != nil {
		return fmt.Errorf("store dead letter: %w", err)
	}
	return nil
}

func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 16), n)
}
