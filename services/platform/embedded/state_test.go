package embedded_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "state.db")
	s, err := embedded.OpenState(path)
	require.NoError(t, err)
	require.NoError(t, s.Transact(ctx, []platform.Op{
		{Key: "video/1", Value: []byte(`{"title":"Alien"}`)},
		{Key: "video/2", Value: []byte(`{"title":"Heat"}`)},
	}))
	before, err := s.Get(ctx, "video/1")
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s = openState(t, path)
	after, err := s.Get(ctx, "video/1")
	require.NoError(t, err)
	assert.Equal(t, before, after, "value and ETag survive")
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: "video/1", Value: []byte(`{}`), ETag: before.ETag}))
	items, err := s.BulkGet(ctx, []string{"video/1", "video/2"})
	require.NoError(t, err)
	assert.Len(t, items, 2)
}

func TestStateETagNeverReused(t *testing.T) {
	ctx := context.Background()
	s := openState(t, filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: "k", Value: []byte(`1`)}))
	old, err := s.Get(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: "k", Delete: true}))
	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: "k", Value: []byte(`2`), IfAbsent: true}))

	err = platform.Set(ctx, s, platform.Op{Key: "k", Value: []byte(`3`), ETag: old.ETag})
	assert.Equal(t, platform.KindConflict, platform.KindOf(err), "an ETag from before a delete must not match the new key: %v", err)
}

func TestStateErrors(t *testing.T) {
	ctx := context.Background()
	s, err := embedded.OpenState(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		ops  []platform.Op
		kind platform.Kind
	}{
		{"empty key", ctx, []platform.Op{{Value: []byte(`1`)}}, platform.KindInvalid},
		{"delete with IfAbsent", ctx, []platform.Op{{Key: "k", Delete: true, IfAbsent: true}}, platform.KindInvalid},
		{"ETag on missing key", ctx, []platform.Op{{Key: "k", Value: []byte(`1`), ETag: "7"}}, platform.KindConflict},
		{"cancelled context", cancelled, []platform.Op{{Key: "k", Value: []byte(`1`)}}, platform.KindUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.kind, platform.KindOf(s.Transact(tc.ctx, tc.ops)))
		})
	}

	require.NoError(t, s.Close())
	_, err = s.Get(ctx, "k")
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "after close: %v", err)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(platform.Set(ctx, s, platform.Op{Key: "k"})))
}
