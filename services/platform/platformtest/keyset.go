package platformtest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keySetWrite adds or removes id in set together with its entity document,
// the way a service does: one read-modify-write, retried on conflict.
func keySetWrite(ctx context.Context, s platform.State, set *platform.KeySet, ns, id string, add bool) error {
	return platform.RetryConflict(ctx, 200, func() error {
		var (
			ops []platform.Op
			err error
		)
		if add {
			ops, err = set.AddOps(ctx, id)
			ops = append(ops, platform.Op{Key: ns + "video/" + id, Value: []byte(`{}`)})
		} else {
			ops, err = set.RemoveOps(ctx, id)
			ops = append(ops, platform.Op{Key: ns + "video/" + id, Delete: true})
		}
		if err != nil {
			return err
		}
		return s.Transact(ctx, ops)
	})
}

func keySetAddRemove(t *testing.T, s platform.State, ns string) {
	ctx := context.Background()
	set := platform.NewKeySet(s, ns+"videos", 4)
	members, err := set.Members(ctx)
	require.NoError(t, err)
	assert.Empty(t, members)

	for _, id := range []string{"v3", "v1", "v2", "v1"} {
		require.NoError(t, keySetWrite(ctx, s, set, ns, id, true))
	}
	members, err = set.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"v1", "v2", "v3"}, members)

	ops, err := set.AddOps(ctx, "v2")
	require.NoError(t, err)
	assert.Empty(t, ops, "adding a member already present needs no write")
	ops, err = set.RemoveOps(ctx, "nope")
	require.NoError(t, err)
	assert.Empty(t, ops, "removing an absent member needs no write")

	require.NoError(t, keySetWrite(ctx, s, set, ns, "v2", false))
	members, err = set.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"v1", "v3"}, members)

	_, err = set.AddOps(ctx, "")
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
}

func keySetConcurrent(t *testing.T, s platform.State, ns string) {
	const workers, each = 6, 8
	ctx := context.Background()
	set := platform.NewKeySet(s, ns+"videos", 3)
	ids := make([]string, 0, workers*each)
	for i := range workers * each {
		ids = append(ids, fmt.Sprintf("video-%03d", i))
	}
	run := func(ids []string, add bool) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(ids))
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(ids); i += workers {
					errs <- keySetWrite(ctx, s, set, ns, ids[i], add)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}

	run(ids, true)
	members, err := set.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, ids, members)

	var removed, kept []string
	for i, id := range ids {
		if i%2 == 0 {
			removed = append(removed, id)
		} else {
			kept = append(kept, id)
		}
	}
	run(removed, false)
	members, err = set.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, kept, members)
	assert.True(t, slices.IsSorted(members))
}
