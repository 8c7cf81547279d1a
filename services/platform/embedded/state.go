package embedded

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/dflix/dflix/services/platform"
	bolt "go.etcd.io/bbolt"
)

var _ platform.State = (*State)(nil)

// stateBucket holds every key. A value is stored as an 8-byte big-endian
// version followed by the bytes written; the version is the bucket's next
// sequence at the time of the write, so versions increase across all keys
// and an ETag is never reused, even for a key deleted and written again.
const stateBucket = "state"

// State is a platform.State in a bbolt file. Every Transact is one fsynced
// bbolt transaction, so an acknowledged write survives kill -9. It is safe
// for concurrent use.
type State struct {
	db *bolt.DB
}

// OpenState opens (or creates) the state file at path, creating its
// directory if needed.
//
// Errors: KindUnavailable when the file is held by another process or State.
func OpenState(path string) (*State, error) {
	db, err := openBolt(path, stateBucket)
	if err != nil {
		return nil, fmt.Errorf("embedded: open state: %w", err)
	}
	return &State{db: db}, nil
}

// Close closes the file. Later calls fail with KindUnavailable.
func (s *State) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("embedded: close state: %w", err)
	}
	return nil
}

// Get returns the item stored at key.
//
// Errors: KindNotFound for a missing key; KindUnavailable after Close or
// when ctx has ended.
func (s *State) Get(ctx context.Context, key string) (platform.Item, error) {
	items, err := s.read(ctx, []string{key})
	if err != nil {
		return platform.Item{}, fmt.Errorf("embedded: get %q: %w", key, err)
	}
	if len(items) == 0 {
		return platform.Item{}, platform.Errorf(platform.KindNotFound, "key %q not found", key)
	}
	return items[0], nil
}

// BulkGet returns the items that exist among keys, in the order of keys,
// read in one consistent snapshot.
//
// Errors: KindUnavailable after Close or when ctx has ended.
func (s *State) BulkGet(ctx context.Context, keys []string) ([]platform.Item, error) {
	items, err := s.read(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("embedded: bulk get: %w", err)
	}
	return items, nil
}

// read returns the items that exist among keys, in order.
func (s *State) read(ctx context.Context, keys []string) ([]platform.Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	items := make([]platform.Item, 0, len(keys))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(stateBucket))
		for _, key := range keys {
			raw := b.Get([]byte(key))
			if raw == nil {
				continue
			}
			version, value := decodeValue(raw)
			items = append(items, platform.Item{Key: key, Value: value, ETag: etag(version)})
		}
		return nil
	})
	if err != nil {
		return nil, boltError(err)
	}
	return items, nil
}

// Transact applies ops in order in one bbolt transaction: all of them or,
// when any fails, none.
//
// Errors: KindInvalid for an op with an empty key, or a delete with
// IfAbsent; KindConflict when an ETag does not match the stored one (or the
// key is missing) or an IfAbsent key exists; KindUnavailable after Close or
// when ctx has ended.
func (s *State) Transact(ctx context.Context, ops []platform.Op) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("embedded: transact: %w", err)
	}
	for _, op := range ops {
		if op.Key == "" {
			return platform.Errorf(platform.KindInvalid, "transact: empty key")
		}
		if op.Delete && op.IfAbsent {
			return platform.Errorf(platform.KindInvalid, "transact: delete of %q with IfAbsent", op.Key)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(stateBucket))
		for _, op := range ops {
			if err := apply(b, op); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded: transact: %w", boltError(err))
	}
	return nil
}

// apply checks op's condition against b and writes it.
func apply(b *bolt.Bucket, op platform.Op) error {
	key := []byte(op.Key)
	raw := b.Get(key)
	switch {
	case op.IfAbsent && raw != nil:
		return platform.Errorf(platform.KindConflict, "key %q already exists", op.Key)
	case op.ETag != "" && raw == nil:
		return platform.Errorf(platform.KindConflict, "key %q changed: it no longer exists", op.Key)
	case op.ETag != "":
		if version, _ := decodeValue(raw); etag(version) != op.ETag {
			return platform.Errorf(platform.KindConflict, "key %q changed since it was read", op.Key)
		}
	}
	if op.Delete {
		if err := b.Delete(key); err != nil {
			return fmt.Errorf("delete %q: %w", op.Key, err)
		}
		return nil
	}
	version, err := b.NextSequence()
	if err != nil {
		return fmt.Errorf("version %q: %w", op.Key, err)
	}
	if err := b.Put(key, encodeValue(version, op.Value)); err != nil {
		return fmt.Errorf("put %q: %w", op.Key, err)
	}
	return nil
}

func encodeValue(version uint64, value []byte) []byte {
	out := make([]byte, 8+len(value))
	binary.BigEndian.PutUint64(out, version)
	copy(out[8:], value)
	return out
}

// decodeValue splits a stored value; the returned value is a copy, safe to
// use after the transaction ends.
func decodeValue(raw []byte) (uint64, []byte) {
	if len(raw) < 8 {
		return 0, []byte{}
	}
	return binary.BigEndian.Uint64(raw), append([]byte{}, raw[8:]...)
}

func etag(version uint64) string { return strconv.FormatUint(version, 10) }
