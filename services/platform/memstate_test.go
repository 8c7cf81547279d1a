package platform_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// memState is an in-memory platform.State for the package's tests. It
// counts BulkGet calls and can be made to fail them.
type memState struct {
	mu        sync.Mutex
	items     map[string]platform.Item
	version   int
	bulkGets  int
	bulkGetFn func() error
}

func newMemState() *memState { return &memState{items: map[string]platform.Item{}} }

func (m *memState) Get(ctx context.Context, key string) (platform.Item, error) {
	items, err := m.BulkGet(ctx, []string{key})
	if err != nil {
		return platform.Item{}, err
	}
	if len(items) == 0 {
		return platform.Item{}, platform.Errorf(platform.KindNotFound, "key %q not found", key)
	}
	return items[0], nil
}

func (m *memState) BulkGet(_ context.Context, keys []string) ([]platform.Item, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bulkGets++
	if m.bulkGetFn != nil {
		if err := m.bulkGetFn(); err != nil {
			return nil, err
		}
	}
	out := []platform.Item{}
	for _, k := range keys {
		if it, ok := m.items[k]; ok {
			out = append(out, platform.Item{Key: k, Value: append([]byte{}, it.Value...), ETag: it.ETag})
		}
	}
	return out, nil
}

func (m *memState) Transact(_ context.Context, ops []platform.Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := make(map[string]platform.Item, len(m.items))
	for k, v := range m.items {
		next[k] = v
	}
	for _, op := range ops {
		cur, ok := next[op.Key]
		if (op.IfAbsent && ok) || (op.ETag != "" && (!ok || cur.ETag != op.ETag)) {
			return platform.Errorf(platform.KindConflict, "key %q changed", op.Key)
		}
		if op.Delete {
			delete(next, op.Key)
			continue
		}
		m.version++
		next[op.Key] = platform.Item{Key: op.Key, Value: append([]byte{}, op.Value...), ETag: strconv.Itoa(m.version)}
	}
	m.items = next
	return nil
}

// TestMemStateConformance keeps the fake honest, and exercises KeySet and
// RetryConflict through the shared suite.
func TestMemStateConformance(t *testing.T) {
	platformtest.TestState(t, func(*testing.T) platform.State { return newMemState() })
}
