package platform

import "context"

// Item is one stored value with the ETag that a later write may be made
// conditional on.
type Item struct {
	Key   string
	Value []byte
	ETag  string
}

// Op is one write in a transaction.
//
// ETag makes the write conditional on the stored ETag (optimistic
// concurrency); IfAbsent makes a set conditional on the key not existing (an
// insert, used for uniqueness such as one account per email). With neither,
// the last write wins.
type Op struct {
	Key      string
	Value    []byte // ignored when Delete is true
	Delete   bool
	ETag     string
	IfAbsent bool
}

// State is a key/value store with ETags and multi-key transactions. Each
// service owns its own store; keys are namespaced by the service itself.
//
// Errors: Get returns KindNotFound for a missing key; a failed ETag or
// IfAbsent condition returns KindConflict and applies nothing; a store that
// cannot be reached returns KindUnavailable.
type State interface {
	Get(ctx context.Context, key string) (Item, error)
	// BulkGet returns the items that exist, in the order of keys; missing keys
	// are left out.
	BulkGet(ctx context.Context, keys []string) ([]Item, error)
	// Transact applies all ops atomically or none of them.
	Transact(ctx context.Context, ops []Op) error
}

// Set writes one key; see Op for the conditions.
func Set(ctx context.Context, s State, op Op) error {
	return s.Transact(ctx, []Op{op})
}
