package platformtest

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestState runs the platform.State conformance cases, plus platform.KeySet
// and platform.RetryConflict on top of the store. newState returns the store
// under test (it may be shared between cases; close it with t.Cleanup).
func TestState(t *testing.T, newState func(t *testing.T) platform.State) {
	t.Helper()
	cases := []struct {
		name string
		run  func(t *testing.T, s platform.State, ns string)
	}{
		{"GetMissingIsNotFound", stateGetMissing},
		{"SetGetRoundtrip", stateSetGet},
		{"WriteChangesETag", stateETagChanges},
		{"ConflictAppliesNothing", stateConflictAtomic},
		{"IfAbsent", stateIfAbsent},
		{"Delete", stateDelete},
		{"BulkGetOmitsMissingKeepsOrder", stateBulkGet},
		{"EmptyTransact", stateEmptyTransact},
		{"ConcurrentIncrementsLoseNothing", stateConcurrentIncrements},
		{"KeySetAddRemove", keySetAddRemove},
		{"KeySetConcurrent", keySetConcurrent},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newState(t), unique("state")+"/")
		})
	}
}

// set writes key=value unconditionally and returns the new item.
func set(t *testing.T, s platform.State, key, value string) platform.Item {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: key, Value: []byte(value)}))
	it, err := s.Get(ctx, key)
	require.NoError(t, err)
	return it
}

// requireValue asserts key holds value.
func requireValue(t *testing.T, s platform.State, key, value string) {
	t.Helper()
	it, err := s.Get(context.Background(), key)
	require.NoError(t, err, key)
	require.JSONEq(t, value, string(it.Value), key)
}

func stateGetMissing(t *testing.T, s platform.State, ns string) {
	_, err := s.Get(context.Background(), ns+"missing")
	require.Error(t, err)
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
}

func stateSetGet(t *testing.T, s platform.State, ns string) {
	values := []struct{ name, value string }{
		{"object", `{"title":"Brazil","year":1985,"tags":["dystopia","satire"]}`},
		{"string", `"héllo wörld ✓"`},
		{"number", `42`},
	}
	for _, v := range values {
		t.Run(v.name, func(t *testing.T) {
			it := set(t, s, ns+v.name, v.value)
			assert.Equal(t, ns+v.name, it.Key)
			assert.JSONEq(t, v.value, string(it.Value))
			assert.NotEmpty(t, it.ETag)
		})
	}
}

func stateETagChanges(t *testing.T, s platform.State, ns string) {
	ctx := context.Background()
	first := set(t, s, ns+"k", `1`)
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: ns + "k", Value: []byte(`2`), ETag: first.ETag}))
	second, err := s.Get(ctx, ns+"k")
	require.NoError(t, err)
	assert.NotEqual(t, first.ETag, second.ETag)

	err = platform.Set(ctx, s, platform.Op{Key: ns + "k", Value: []byte(`3`), ETag: first.ETag})
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "stale ETag: %v", err)
	requireValue(t, s, ns+"k", `2`)
}

func stateConflictAtomic(t *testing.T, s platform.State, ns string) {
	ctx := context.Background()
	a := set(t, s, ns+"a", `1`)
	b := set(t, s, ns+"b", `1`)
	set(t, s, ns+"b", `2`) // b.ETag is now stale
	set(t, s, ns+"d", `1`)

	err := s.Transact(ctx, []platform.Op{
		{Key: ns + "a", Value: []byte(`10`), ETag: a.ETag},
		{Key: ns + "c", Value: []byte(`10`)},
		{Key: ns + "d", Delete: true},
		{Key: ns + "b", Value: []byte(`10`), ETag: b.ETag},
	})
	require.Error(t, err)
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%v", err)

	requireValue(t, s, ns+"a", `1`)
	requireValue(t, s, ns+"b", `2`)
	requireValue(t, s, ns+"d", `1`)
	_, err = s.Get(ctx, ns+"c")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "c must not be written: %v", err)
}

func stateIfAbsent(t *testing.T, s platform.State, ns string) {
	ctx := context.Background()
	insert := platform.Op{Key: ns + "email/ann@example.com", Value: []byte(`"user-1"`), IfAbsent: true}
	require.NoError(t, platform.Set(ctx, s, insert))
	requireValue(t, s, insert.Key, `"user-1"`)

	insert.Value = []byte(`"user-2"`)
	err := s.Transact(ctx, []platform.Op{{Key: ns + "user-2", Value: []byte(`{}`)}, insert})
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%v", err)
	requireValue(t, s, insert.Key, `"user-1"`)
	_, err = s.Get(ctx, ns+"user-2")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)
}

func stateDelete(t *testing.T, s platform.State, ns string) {
	ctx := context.Background()
	stale := set(t, s, ns+"k", `1`)
	current := set(t, s, ns+"k", `2`)

	err := platform.Set(ctx, s, platform.Op{Key: ns + "k", Delete: true, ETag: stale.ETag})
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "delete with stale ETag: %v", err)
	requireValue(t, s, ns+"k", `2`)

	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: ns + "k", Delete: true, ETag: current.ETag}))
	_, err = s.Get(ctx, ns+"k")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)

	set(t, s, ns+"j", `1`)
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: ns + "j", Delete: true}))
	_, err = s.Get(ctx, ns+"j")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "%v", err)

	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: ns + "never", Delete: true}), "deleting a missing key")
}

func stateBulkGet(t *testing.T, s platform.State, ns string) {
	c := set(t, s, ns+"c", `"c"`)
	a := set(t, s, ns+"a", `"a"`)
	items, err := s.BulkGet(context.Background(), []string{ns + "c", ns + "missing", ns + "a"})
	require.NoError(t, err)
	require.Len(t, items, 2)
	assert.Equal(t, c.Key, items[0].Key)
	assert.Equal(t, c.ETag, items[0].ETag)
	assert.JSONEq(t, `"c"`, string(items[0].Value))
	assert.Equal(t, a.Key, items[1].Key)
	assert.Equal(t, a.ETag, items[1].ETag)

	items, err = s.BulkGet(context.Background(), []string{ns + "missing"})
	require.NoError(t, err)
	assert.Empty(t, items)
}

func stateEmptyTransact(t *testing.T, s platform.State, _ string) {
	require.NoError(t, s.Transact(context.Background(), nil))
}

func stateConcurrentIncrements(t *testing.T, s platform.State, ns string) {
	const workers, each = 6, 10
	ctx := context.Background()
	key := ns + "counter"
	set(t, s, key, `0`)
	increment := func() error {
		it, err := s.Get(ctx, key)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(it.Value))
		if err != nil {
			return err
		}
		return platform.Set(ctx, s, platform.Op{Key: key, Value: []byte(strconv.Itoa(n + 1)), ETag: it.ETag})
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				errs <- platform.RetryConflict(ctx, 200, increment)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	requireValue(t, s, key, strconv.Itoa(workers*each))
}
