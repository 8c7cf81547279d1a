package dapr

import (
	"context"
	"fmt"
	"strings"
	"sync"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
)

var _ platform.State = (*State)(nil)

// State is a platform.State over the Dapr state store component named
// store. Every write is one state transaction, so the component must be
// transactional with ETags (state.redis, state.postgresql, state.sqlite).
// Values are stored as the raw bytes given, never re-encoded by the sidecar
// (its JSON content-type path parses numbers as float64).
//
// How the conditions are encoded depends on the component, which State reads
// from the sidecar's metadata on first use:
//   - Op.ETag: first-write concurrency with the ETag, on every store.
//   - Op.IfAbsent: first-write with no ETag, which sqlite and postgresql
//     treat as insert-if-absent; state.redis ignores that inside a
//     transaction, so there it is first-write with the ETag "-1", which no
//     stored version ever has and which an absent key always passes.
//
// Redis runs a transaction as MULTI/EXEC of Lua scripts and has no rollback:
// a failed condition stops only its own op. State therefore checks a
// multi-op transaction's conditions with one read before writing, so a stale
// ETag applies nothing, and holds a lock per store from that read to the
// end of the transaction, so that the writers of one process (concurrent
// requests to one replica, the common race: four admins creating videos
// at once left a video key without its index entry before it) cannot slip
// between them. Only a write from another process racing between the read
// and the transaction can still leave the other ops of a failed redis
// transaction applied. sqlite and postgresql transactions are atomic.
type State struct {
	sc    *Sidecar
	store string

	mu      sync.Mutex
	dialect *dialect
}

// dialect is how one kind of state component encodes the conditions.
type dialect struct {
	component string // e.g. "state.redis"
	// absentETag is the ETag that makes a first-write an insert-if-absent;
	// empty means first-write without an ETag does.
	absentETag string
	// precheck verifies a multi-op transaction's conditions before writing,
	// for stores whose transactions do not roll back.
	precheck bool
}

// State returns the State over the state store component named store.
func (s *Sidecar) State(store string) *State {
	return &State{sc: s, store: store}
}

// Get returns the item stored at key.
//
// Errors: KindInvalid for an empty key or one containing "||"; KindNotFound
// for a missing key; KindUnavailable when the sidecar or store cannot be
// reached or ctx ends.
func (st *State) Get(ctx context.Context, key string) (platform.Item, error) {
	if err := checkKey(key); err != nil {
		return platform.Item{}, fmt.Errorf("dapr: state %s: get: %w", st.store, err)
	}
	item, err := st.sc.client.GetState(ctx, st.store, key, nil)
	if err != nil {
		return platform.Item{}, fmt.Errorf("dapr: state %s: get %q: %w", st.store, key, classify(err, ""))
	}
	if item.Etag == "" && len(item.Value) == 0 {
		return platform.Item{}, platform.Errorf(platform.KindNotFound, "key %q not found", key)
	}
	return platform.Item{Key: key, Value: item.Value, ETag: item.Etag}, nil
}

// BulkGet returns the items that exist among keys, in the order of keys.
// The reads are not one snapshot: Dapr reads the keys one by one.
//
// Errors: as Get, but a missing key is left out.
func (st *State) BulkGet(ctx context.Context, keys []string) ([]platform.Item, error) {
	items := []platform.Item{}
	if len(keys) == 0 {
		return items, nil
	}
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("dapr: state %s: bulk get: %w", st.store, err)
		}
	}
	got, err := st.sc.client.GetBulkState(ctx, st.store, keys, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("dapr: state %s: bulk get: %w", st.store, classify(err, ""))
	}
	byKey := make(map[string]*daprc.BulkStateItem, len(got))
	for _, it := range got {
		if it.Error != "" {
			return nil, fmt.Errorf("dapr: state %s: bulk get %q: %w", st.store, it.Key,
				classify(fmt.Errorf("%s", it.Error), ""))
		}
		byKey[it.Key] = it
	}
	for _, k := range keys {
		if it, ok := byKey[k]; ok && (it.Etag != "" || len(it.Value) > 0) {
			items = append(items, platform.Item{Key: k, Value: it.Value, ETag: it.Etag})
		}
	}
	return items, nil
}

// Transact applies ops in one state transaction.
//
// Errors: KindInvalid for an empty key, a key containing "||" or a delete
// with IfAbsent; KindConflict when an ETag does not match (or its key is
// gone) or an IfAbsent key exists; KindUnavailable when the sidecar or store
// cannot be reached or ctx ends; KindInternal when the component is not
// transactional.
func (st *State) Transact(ctx context.Context, ops []platform.Op) error {
	for _, op := range ops {
		if err := checkKey(op.Key); err != nil {
			return fmt.Errorf("dapr: state %s: transact: %w", st.store, err)
		}
		if op.Delete && op.IfAbsent {
			return platform.Errorf(platform.KindInvalid, "dapr: state %s: transact: delete of %q with IfAbsent", st.store, op.Key)
		}
	}
	if len(ops) == 0 {
		return nil
	}
	d, err := st.dialectOf(ctx)
	if err != nil {
		return fmt.Errorf("dapr: state %s: transact: %w", st.store, err)
	}
	if d.precheck && len(ops) > 1 {
		mu, _ := st.sc.txLocks.LoadOrStore(st.store, &sync.Mutex{})
		mu.(*sync.Mutex).Lock()
		defer mu.(*sync.Mutex).Unlock()
		if err := st.checkConditions(ctx, ops); err != nil {
			return fmt.Errorf("dapr: state %s: transact: %w", st.store, err)
		}
	}
	err = st.sc.client.ExecuteStateTransaction(ctx, st.store, nil, d.encode(ops))
	if err != nil {
		return fmt.Errorf("dapr: state %s: transact %s: %w", st.store, describe(ops), classify(err, conflictMessage(ops)))
	}
	return nil
}

// encode turns ops into the SDK's transaction operations.
func (d *dialect) encode(ops []platform.Op) []*daprc.StateOperation {
	out := make([]*daprc.StateOperation, 0, len(ops))
	for _, op := range ops {
		item := &daprc.SetStateItem{Key: op.Key, Options: &daprc.StateOptions{Concurrency: daprc.StateConcurrencyLastWrite}}
		etag := op.ETag
		if op.IfAbsent && etag == "" {
			etag = d.absentETag
			item.Options.Concurrency = daprc.StateConcurrencyFirstWrite
		}
		if etag != "" {
			item.Etag = &daprc.ETag{Value: etag}
			item.Options.Concurrency = daprc.StateConcurrencyFirstWrite
		}
		typ := daprc.StateOperationTypeUpsert
		if op.Delete {
			typ = daprc.StateOperationTypeDelete
		} else {
			item.Value = op.Value
		}
		out = append(out, &daprc.StateOperation{Type: typ, Item: item})
	}
	return out
}

// checkConditions reads the conditional keys of ops and fails with
// KindConflict, writing nothing, when a condition does not hold now.
func (st *State) checkConditions(ctx context.Context, ops []platform.Op) error {
	var keys []string
	for _, op := range ops {
		if op.ETag != "" || op.IfAbsent {
			keys = append(keys, op.Key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	items, err := st.BulkGet(ctx, keys)
	if err != nil {
		return err
	}
	current := make(map[string]string, len(items))
	for _, it := range items {
		current[it.Key] = it.ETag
	}
	for _, op := range ops {
		etag, exists := current[op.Key]
		switch {
		case op.ETag != "" && (!exists || etag != op.ETag):
			return platform.Errorf(platform.KindConflict, "key %q changed since it was read", op.Key)
		case op.IfAbsent && op.ETag == "" && exists:
			return platform.Errorf(platform.KindConflict, "key %q already exists", op.Key)
		}
	}
	return nil
}

// dialectOf returns the store's dialect, reading the component's type from
// the sidecar's metadata once.
func (st *State) dialectOf(ctx context.Context) (*dialect, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dialect != nil {
		return st.dialect, nil
	}
	md, err := st.sc.client.GetMetadata(ctx)
	if err != nil {
		return nil, classify(err, "")
	}
	for _, c := range md.RegisteredComponents {
		if c.Name != st.store || !strings.HasPrefix(c.Type, "state.") {
			continue
		}
		if !hasCapabilities(c.Capabilities, "ETAG", "TRANSACTIONAL") {
			return nil, platform.Errorf(platform.KindInternal, "state store %s (%s) lacks ETag or transaction support", st.store, c.Type)
		}
		st.dialect = dialectFor(c.Type)
		return st.dialect, nil
	}
	return nil, platform.Errorf(platform.KindInternal, "no state store component named %q in the sidecar", st.store)
}

// dialectFor returns the condition encoding of a state component type.
func dialectFor(componentType string) *dialect {
	if componentType == "state.redis" {
		return &dialect{component: componentType, absentETag: "-1", precheck: true}
	}
	return &dialect{component: componentType}
}

func hasCapabilities(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || strings.EqualFold(h, w)
		}
		if !found {
			return false
		}
	}
	return true
}

// checkKey rejects keys Dapr cannot store: empty, or containing the "||"
// that separates its key prefix.
func checkKey(key string) error {
	if key == "" || strings.Contains(key, "||") {
		return platform.Errorf(platform.KindInvalid, "invalid state key %q", key)
	}
	return nil
}

// describe names the keys of ops for an error message.
func describe(ops []platform.Op) string {
	if len(ops) == 1 {
		return fmt.Sprintf("%q", ops[0].Key)
	}
	return fmt.Sprintf("%d ops (first %q)", len(ops), ops[0].Key)
}

// conflictMessage is the client-safe text of a failed transaction.
func conflictMessage(ops []platform.Op) string {
	if len(ops) == 1 {
		return fmt.Sprintf("key %q changed or already exists", ops[0].Key)
	}
	return "state changed since it was read"
}
