package dapr

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStateKeepsValuesExact: values round-trip byte for byte. The sidecar's
// JSON content-type path would not: it parses numbers as float64 (and
// state.redis prints floats with 6 digits), so State never uses it.
func TestStateKeepsValuesExact(t *testing.T) {
	sc := mainSC(t)
	stores := []string{redisStore, sqliteStore}
	if env.postgres != "" {
		stores = append(stores, pgStore)
	}
	value := `{"pi":3.14159265358979,"big":12345678901234567890,"ns":1732320000123456789, "spaced" : [1, 2]}`
	for _, store := range stores {
		t.Run(store, func(t *testing.T) {
			ctx := context.Background()
			key := "exact/" + randomID()
			require.NoError(t, platform.Set(ctx, sc.State(store), platform.Op{Key: key, Value: []byte(value)}))
			it, err := sc.State(store).Get(ctx, key)
			require.NoError(t, err)
			assert.Equal(t, value, string(it.Value))
		})
	}
}

// TestRedisTransactionsDoNotRollBack pins the state.redis behaviour that
// State works around: in a transaction whose ETag condition fails, the other
// ops are applied all the same (MULTI/EXEC has no rollback). Should a Dapr
// upgrade make this test fail, the redis precheck may go.
func TestRedisTransactionsDoNotRollBack(t *testing.T) {
	sc := mainSC(t)
	ctx := context.Background()
	raw := sc.State(redisStore)
	raw.dialect = &dialect{component: "state.redis", absentETag: "-1"} // no precheck
	ns := "rollback/" + randomID() + "/"
	require.NoError(t, platform.Set(ctx, raw, platform.Op{Key: ns + "b", Value: []byte(`1`)}))
	stale, err := raw.Get(ctx, ns+"b")
	require.NoError(t, err)
	require.NoError(t, platform.Set(ctx, raw, platform.Op{Key: ns + "b", Value: []byte(`2`)}))

	err = raw.Transact(ctx, []platform.Op{
		{Key: ns + "a", Value: []byte(`1`)},
		{Key: ns + "b", Value: []byte(`3`), ETag: stale.ETag},
	})
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%v", err)
	_, err = raw.Get(ctx, ns+"a")
	assert.NoError(t, err, "state.redis applied the unconditional op of a failed transaction")

	err = sc.State(redisStore).Transact(ctx, []platform.Op{
		{Key: ns + "c", Value: []byte(`1`)},
		{Key: ns + "b", Value: []byte(`3`), ETag: stale.ETag},
	})
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "%v", err)
	_, err = raw.Get(ctx, ns+"c")
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "State's precheck applies nothing: %v", err)
}

// TestStateRejectsBadOps needs no sidecar: the checks come first.
func TestStateRejectsBadOps(t *testing.T) {
	st := (&Sidecar{}).State("any")
	cases := []struct {
		name string
		ops  []platform.Op
	}{
		{"empty key", []platform.Op{{Key: "", Value: []byte(`1`)}}},
		{"prefix separator", []platform.Op{{Key: "a||b", Value: []byte(`1`)}}},
		{"delete if absent", []platform.Op{{Key: "k", Delete: true, IfAbsent: true}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Transact(context.Background(), tc.ops)
			assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
		})
	}
	_, err := st.Get(context.Background(), "")
	assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
	require.NoError(t, st.Transact(context.Background(), nil))
	items, err := st.BulkGet(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, items)
}

func TestDialectEncodesConditions(t *testing.T) {
	ops := []platform.Op{
		{Key: "plain", Value: []byte(`1`)},
		{Key: "etag", Value: []byte(`1`), ETag: "7"},
		{Key: "insert", Value: []byte(`1`), IfAbsent: true},
		{Key: "gone", Delete: true, ETag: "3"},
	}
	cases := []struct {
		component  string
		insertETag string
	}{
		{"state.redis", "-1"},
		{"state.sqlite", ""},
		{"state.postgresql", ""},
	}
	for _, tc := range cases {
		t.Run(tc.component, func(t *testing.T) {
			enc := dialectFor(tc.component).encode(ops)
			require.Len(t, enc, 4)
			assert.Nil(t, enc[0].Item.Etag)
			assert.Equal(t, "7", enc[1].Item.Etag.Value)
			if tc.insertETag == "" {
				assert.Nil(t, enc[2].Item.Etag)
			} else {
				assert.Equal(t, tc.insertETag, enc[2].Item.Etag.Value)
			}
			for i, want := range []bool{false, true, true, true} {
				firstWrite := enc[i].Item.Options.Concurrency == daprc.StateConcurrencyFirstWrite
				assert.Equal(t, want, firstWrite, "op %d first-write", i)
			}
			assert.Equal(t, "delete", enc[3].Type.String())
			assert.Nil(t, enc[3].Item.Value)
		})
	}
}

// TestRedisConcurrentTransactionsApplyWhole has writers of one process
// each insert their own record and add it to a shared index under the
// index's ETag, retrying on conflict, as catalog creates videos. On
// state.redis a transaction whose index ETag went stale between the
// precheck and the write would still insert the record, and its retry
// would then find the record already there: State serializes the
// process's transactions on such a store, so every writer gets through
// and the index lists every record.
func TestRedisConcurrentTransactionsApplyWhole(t *testing.T) {
	sc := mainSC(t)
	ctx := context.Background()
	st := sc.State(redisStore)
	ns := "concurrent/" + randomID() + "/"
	require.NoError(t, platform.Set(ctx, st, platform.Op{Key: ns + "index", Value: []byte(`[]`)}))
	const writers = 12
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			id := fmt.Sprintf("r%02d", i)
			var err error
			for attempt := 0; attempt < 100; attempt++ {
				var idx platform.Item
				if idx, err = st.Get(ctx, ns+"index"); err != nil {
					break
				}
				var ids []string
				if err = json.Unmarshal(idx.Value, &ids); err != nil {
					break
				}
				next, _ := json.Marshal(append(ids, id))
				err = st.Transact(ctx, []platform.Op{
					{Key: ns + id, Value: []byte(`{}`), IfAbsent: true},
					{Key: ns + "index", Value: next, ETag: idx.ETag},
				})
				if platform.KindOf(err) != platform.KindConflict {
					break
				}
			}
			errs <- err
		}()
	}
	for range writers {
		assert.NoError(t, <-errs)
	}
	idx, err := st.Get(ctx, ns+"index")
	require.NoError(t, err)
	var ids []string
	require.NoError(t, json.Unmarshal(idx.Value, &ids))
	assert.Len(t, ids, writers, "every record is in the index: %v", ids)
}
