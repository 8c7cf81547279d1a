package platform_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func shardOf(member string, shards int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(member))
	return int(h.Sum32() % uint32(shards))
}

func TestKeySetOps(t *testing.T) {
	ctx := context.Background()
	s := platformtest.NewMemState()
	set := platform.NewKeySet(s, "videos", 8)

	ops, err := set.AddOps(ctx, "v1", "v1")
	require.NoError(t, err)
	require.Len(t, ops, 1, "duplicates collapse")
	want := fmt.Sprintf("videos/shard/%02d", shardOf("v1", 8))
	assert.Equal(t, platform.Op{Key: want, Value: []byte(`["v1"]`), IfAbsent: true}, ops[0], "a new shard is inserted")
	require.NoError(t, s.Transact(ctx, ops))

	stored, err := s.Get(ctx, want)
	require.NoError(t, err)
	ops, err = set.RemoveOps(ctx, "v1")
	require.NoError(t, err)
	assert.Equal(t, []platform.Op{{Key: want, Value: []byte(`[]`), ETag: stored.ETag}}, ops,
		"an emptied shard is written, not deleted, and the write is conditional")
}

func TestKeySetShardsSpread(t *testing.T) {
	ctx := context.Background()
	s := platformtest.NewMemState()
	set := platform.NewKeySet(s, "users", 4)
	var members []string
	for i := range 40 {
		members = append(members, fmt.Sprintf("user-%02d", i))
	}
	ops, err := set.AddOps(ctx, members...)
	require.NoError(t, err)
	assert.Len(t, ops, 4, "40 members fill all 4 shards, one op each")
	require.NoError(t, s.Transact(ctx, ops))

	s.ResetBulkGets()
	got, err := set.Members(ctx)
	require.NoError(t, err)
	assert.Equal(t, members, got)
	assert.Equal(t, 1, s.BulkGets(), "Members reads all shards with one BulkGet")
}

func TestKeySetAtLeastOneShard(t *testing.T) {
	ctx := context.Background()
	s := platformtest.NewMemState()
	for _, shards := range []int{0, -3} {
		set := platform.NewKeySet(s, fmt.Sprintf("set%d", shards), shards)
		ops, err := set.AddOps(ctx, "a", "b", "c")
		require.NoError(t, err)
		require.Len(t, ops, 1)
		assert.Equal(t, fmt.Sprintf("set%d/shard/00", shards), ops[0].Key)
	}
}

func TestKeySetErrors(t *testing.T) {
	ctx := context.Background()
	s := platformtest.NewMemState()
	set := platform.NewKeySet(s, "videos", 1)
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: "videos/shard/00", Value: []byte(`{not json`)}))
	unavailable := platform.E(platform.KindUnavailable, "store down", errors.New("dial tcp: refused"))

	cases := []struct {
		name    string
		failGet error
		call    func() error
		kind    platform.Kind
	}{
		{"empty member", nil, func() error { _, err := set.AddOps(ctx, "ok", ""); return err }, platform.KindInvalid},
		{"corrupt shard on add", nil, func() error { _, err := set.AddOps(ctx, "x"); return err }, platform.KindInternal},
		{"corrupt shard on members", nil, func() error { _, err := set.Members(ctx); return err }, platform.KindInternal},
		{"store down on remove", unavailable, func() error { _, err := set.RemoveOps(ctx, "x"); return err }, platform.KindUnavailable},
		{"store down on members", unavailable, func() error { _, err := set.Members(ctx); return err }, platform.KindUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.FailBulkGet = func() error { return tc.failGet }
			assert.Equal(t, tc.kind, platform.KindOf(tc.call()))
		})
	}
}
