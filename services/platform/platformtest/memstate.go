package platformtest

import (
	"context"
	"slices"
	"strconv"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

// MemState is an in-memory platform.State for tests that want a fresh store
// per case without touching the disk (fuzz inputs run thousands of them).
// Transactions are atomic, ETags count writes. It also counts BulkGet calls
// and writes, and FailBulkGet, when set, makes reads fail. It passes
// TestState.
type MemState struct {
	mu       sync.Mutex
	items    map[string]platform.Item
	writes   int
	bulkGets int
	// FailBulkGet, when set, is called on every read; an error it returns
	// fails the read. Set it before the state is shared.
	FailBulkGet func() error
}

// NewMemState returns an empty MemState.
func NewMemState() *MemState { return &MemState{items: map[string]platform.Item{}} }

// Get implements platform.State.
func (m *MemState) Get(ctx context.Context, key string) (platform.Item, error) {
	items, err := m.BulkGet(ctx, []string{key})
	if err != nil {
		return platform.Item{}, err
	}
	if len(items) == 0 {
		return platform.Item{}, platform.Errorf(platform.KindNotFound, "key %q not found", key)
	}
	return items[0], nil
}

// BulkGet implements platform.State.
func (m *MemState) BulkGet(_ context.Context, keys []string) ([]platform.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bulkGets++
	if m.FailBulkGet != nil {
		if err := m.FailBulkGet(); err != nil {
			return nil, err
		}
	}
	out := []platform.Item{}
	for _, k := range keys {
		if it, ok := m.items[k]; ok {
			out = append(out, platform.Item{Key: k, Value: slices.Clone(it.Value), ETag: it.ETag})
		}
	}
	return out, nil
}

// Transact implements platform.State: every condition is checked, against
// the store as it was before the transaction, before anything is written,
// so a failed transaction writes nothing. (No copy of the store: a fuzz
// world keeps one store for thousands of inputs.)
func (m *MemState) Transact(_ context.Context, ops []platform.Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range ops {
		cur, ok := m.items[op.Key]
		if (op.IfAbsent && ok) || (op.ETag != "" && (!ok || cur.ETag != op.ETag)) {
			return platform.Errorf(platform.KindConflict, "key %q changed", op.Key)
		}
	}
	for _, op := range ops {
		if op.Delete {
			delete(m.items, op.Key)
			continue
		}
		m.writes++
		m.items[op.Key] = platform.Item{Key: op.Key, Value: slices.Clone(op.Value), ETag: strconv.Itoa(m.writes)}
	}
	return nil
}

// Writes is the number of items written (deletes not counted).
func (m *MemState) Writes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// BulkGets is the number of reads (Get counts as one).
func (m *MemState) BulkGets() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bulkGets
}

// ResetBulkGets sets the read count back to zero.
func (m *MemState) ResetBulkGets() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bulkGets = 0
}

// Snapshot is every stored key with its ETag and value, for comparing the
// whole store before and after something.
func (m *MemState) Snapshot() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]string, len(m.items))
	for k, it := range m.items {
		out[k] = it.ETag + " " + string(it.Value)
	}
	return out
}
