package platform_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

type thing struct {
	Name string `json:"name"`
}

func TestGetJSONAndSetJSON(t *testing.T) {
	ctx := context.Background()
	s := platformtest.NewMemState()
	require.NoError(t, platform.SetJSON(ctx, s, "thing/1", thing{Name: "one"}, "", true))
	err := platform.SetJSON(ctx, s, "thing/1", thing{Name: "again"}, "", true)
	assert.True(t, platform.Is(err, platform.KindConflict), "IfAbsent on a stored key: %v", err)

	var got thing
	etag, err := platform.GetJSON(ctx, s, "thing/1", "thing not found", &got)
	require.NoError(t, err)
	assert.Equal(t, thing{Name: "one"}, got)
	assert.NotEmpty(t, etag)

	require.NoError(t, platform.SetJSON(ctx, s, "thing/1", thing{Name: "two"}, etag, false))
	err = platform.SetJSON(ctx, s, "thing/1", thing{Name: "stale"}, etag, false)
	assert.True(t, platform.Is(err, platform.KindConflict), "a stale ETag: %v", err)

	err = platform.SetJSON(ctx, s, "thing/2", func() {}, "", false)
	assert.Equal(t, platform.KindInternal, platform.KindOf(err), "an unencodable value")
}

func TestGetJSONErrors(t *testing.T) {
	ctx := context.Background()
	s := platformtest.NewMemState()
	var got thing
	_, err := platform.GetJSON(ctx, s, "thing/missing", "thing not found", &got)
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err))
	assert.Equal(t, "thing not found", platform.PublicMessage(err), "the caller's message")

	require.NoError(t, platform.Set(ctx, s, platform.Op{Key: "thing/bad", Value: []byte(`{not json`)}))
	_, err = platform.GetJSON(ctx, s, "thing/bad", "thing not found", &got)
	assert.Equal(t, platform.KindInternal, platform.KindOf(err))
	assert.ErrorContains(t, err, "corrupt entry")
	assert.ErrorContains(t, err, "thing/bad")

	s.FailBulkGet = func() error { return platform.E(platform.KindUnavailable, "store down", nil) }
	_, err = platform.GetJSON(ctx, s, "thing/1", "thing not found", &got)
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err))
}

func TestDecodeJSON(t *testing.T) {
	var got thing
	require.NoError(t, platform.DecodeJSON(platform.Item{Key: "k", Value: []byte(`{"name":"x"}`)}, &got))
	assert.Equal(t, thing{Name: "x"}, got)
	err := platform.DecodeJSON(platform.Item{Key: "k", Value: []byte(`[`)}, &got)
	assert.Equal(t, platform.KindInternal, platform.KindOf(err))
}
