package embedded

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dflix/dflix/services/platform"
	bolt "go.etcd.io/bbolt"
)

// lockTimeout bounds how long opening a bbolt file waits for another holder
// of its lock.
const lockTimeout = 2 * time.Second

// openBolt opens (creating if needed) the bbolt file at path and its parent
// directory, and creates the given top-level buckets.
//
// Errors: KindUnavailable when another process (or State/Bus) holds the file.
func openBolt(path string, buckets ...string) (*bolt.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create directory: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, boltError(fmt.Errorf("open %s: %w", path, err))
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// boltError classifies bbolt's errors: a closed or locked database is
// unavailable, an oversized key or value invalid; errors that already carry a kind keep it; the rest stay
// unclassified (internal).
func boltError(err error) error {
	switch {
	case errors.Is(err, bolt.ErrDatabaseNotOpen), errors.Is(err, bolt.ErrTimeout):
		return platform.E(platform.KindUnavailable, "embedded store unavailable", err)
	case errors.Is(err, bolt.ErrKeyTooLarge), errors.Is(err, bolt.ErrValueTooLarge):
		return platform.E(platform.KindInvalid, "key or value too large", err)
	default:
		return err
	}
}
