package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
)

// KeySet is a set of strings (e.g. all video ids) kept in a State as N shard
// documents so writes to different members rarely contend. It lets a service
// enumerate its entities on a State that cannot list keys.
//
// Shard i is stored at "<name>/shard/<nn>" as a sorted JSON array; a member
// belongs to the shard picked by the FNV-1a hash of the member. Shards are
// never deleted (an emptied shard is written as []), so an ETag seen once is
// never reused by a recreated shard.
type KeySet struct {
	state  State
	name   string
	shards int
}

// NewKeySet returns the set called name on s, spread over shards documents
// (at least one). Every user of one set must use the same name and shards.
func NewKeySet(s State, name string, shards int) *KeySet {
	return &KeySet{state: s, name: name, shards: max(shards, 1)}
}

// AddOps reads the shards that members fall in and returns the ops that write
// them back with the members added, each conditional on the shard's ETag (or
// IfAbsent for a shard not yet stored), for the caller to include in its own
// Transact. Shards that already hold their members yield no op, so the result
// may be empty.
//
// Errors: KindInvalid for an empty member; a failed read keeps its kind
// (KindUnavailable, KindInternal for a corrupt shard). When the caller's
// Transact fails with KindConflict, it retries its whole read-modify-write
// (see RetryConflict).
func (k *KeySet) AddOps(ctx context.Context, members ...string) ([]Op, error) {
	return k.ops(ctx, "add", members, func(set []string, m string) ([]string, bool) {
		i, found := slices.BinarySearch(set, m)
		if found {
			return set, false
		}
		return slices.Insert(set, i, m), true
	})
}

// RemoveOps is AddOps with the members removed; members not in the set yield
// no op.
//
// Errors: as AddOps.
func (k *KeySet) RemoveOps(ctx context.Context, members ...string) ([]Op, error) {
	return k.ops(ctx, "remove", members, func(set []string, m string) ([]string, bool) {
		i, found := slices.BinarySearch(set, m)
		if !found {
			return set, false
		}
		return slices.Delete(set, i, i+1), true
	})
}

// Members returns every member, sorted, reading all shards with one BulkGet.
//
// Errors: a failed read keeps its kind; a corrupt shard is KindInternal.
func (k *KeySet) Members(ctx context.Context) ([]string, error) {
	keys := make([]string, k.shards)
	for i := range keys {
		keys[i] = k.shardKey(i)
	}
	items, err := k.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("keyset %s: members: %w", k.name, err)
	}
	all := []string{}
	for _, it := range items {
		set, err := decodeShard(it)
		if err != nil {
			return nil, fmt.Errorf("keyset %s: members: %w", k.name, err)
		}
		all = append(all, set...)
	}
	slices.Sort(all)
	return slices.Compact(all), nil
}

// ops groups members by shard, reads those shards and applies edit to each.
func (k *KeySet) ops(ctx context.Context, verb string, members []string, edit func([]string, string) ([]string, bool)) ([]Op, error) {
	byShard := map[int][]string{}
	for _, m := range members {
		if m == "" {
			return nil, Errorf(KindInvalid, "keyset %s: %s: empty member", k.name, verb)
		}
		i := k.shardOf(m)
		byShard[i] = append(byShard[i], m)
	}
	shards := make([]int, 0, len(byShard))
	for i := range byShard {
		shards = append(shards, i)
	}
	slices.Sort(shards)
	current, err := k.read(ctx, shards)
	if err != nil {
		return nil, fmt.Errorf("keyset %s: %s: %w", k.name, verb, err)
	}
	ops := []Op{}
	for _, i := range shards {
		op, changed, err := k.editShard(i, current[k.shardKey(i)], byShard[i], edit)
		if err != nil {
			return nil, fmt.Errorf("keyset %s: %s: %w", k.name, verb, err)
		}
		if changed {
			ops = append(ops, op)
		}
	}
	return ops, nil
}

// read returns the stored shards among the given ones, by key.
func (k *KeySet) read(ctx context.Context, shards []int) (map[string]Item, error) {
	keys := make([]string, len(shards))
	for j, i := range shards {
		keys[j] = k.shardKey(i)
	}
	items, err := k.state.BulkGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]Item, len(items))
	for _, it := range items {
		byKey[it.Key] = it
	}
	return byKey, nil
}

// editShard applies edit for each member to the stored shard (the zero Item
// when absent) and returns the conditional write.
func (k *KeySet) editShard(i int, stored Item, members []string, edit func([]string, string) ([]string, bool)) (Op, bool, error) {
	set, err := decodeShard(stored)
	if err != nil {
		return Op{}, false, err
	}
	changed := false
	for _, m := range members {
		var c bool
		set, c = edit(set, m)
		changed = changed || c
	}
	if !changed {
		return Op{}, false, nil
	}
	value, err := json.Marshal(set)
	if err != nil {
		return Op{}, false, fmt.Errorf("encode shard %d: %w", i, err)
	}
	op := Op{Key: k.shardKey(i), Value: value}
	if stored.Key == "" {
		op.IfAbsent = true
	} else {
		op.ETag = stored.ETag
	}
	return op, true, nil
}

func (k *KeySet) shardKey(i int) string {
	return fmt.Sprintf("%s/shard/%02d", k.name, i)
}

func (k *KeySet) shardOf(member string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(member))
	return int(h.Sum32() % uint32(k.shards))
}

// decodeShard returns the sorted members of a stored shard; the zero Item
// decodes as the empty set.
func decodeShard(it Item) ([]string, error) {
	set := []string{}
	if it.Key == "" || len(it.Value) == 0 {
		return set, nil
	}
	if err := json.Unmarshal(it.Value, &set); err != nil {
		return nil, E(KindInternal, "corrupt key set shard", fmt.Errorf("decode %s: %w", it.Key, err))
	}
	slices.Sort(set)
	return set, nil
}
