package model_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/graph/model"
	"github.com/dflix/dflix/services/platform"
)

func TestUnmarshalID(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
		ok   bool
	}{
		{"uuid", "0b5e0f9c-6a53-4f4e-9f55-3c1b8d1f2a77", "0b5e0f9c-6a53-4f4e-9f55-3c1b8d1f2a77", true},
		{"int literal", 42, "42", true},
		{"empty", "", "", false},
		{"space", "a b", "", false},
		{"slash", "../etc", "", false},
		{"unicode", "vidéo", "", false},
		{"overlong", strings.Repeat("a", model.MaxIDLen+1), "", false},
		{"longest", strings.Repeat("a", model.MaxIDLen), strings.Repeat("a", model.MaxIDLen), true},
		{"not a string", 1.5, "", false},
		{"object", map[string]any{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := model.UnmarshalID(tt.in)
			if !tt.ok {
				require.Error(t, err)
				assert.Equal(t, platform.KindInvalid, platform.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestTime(t *testing.T) {
	in := time.Date(2025, 3, 1, 13, 4, 5, 0, time.FixedZone("CET", 3600))
	var buf bytes.Buffer
	model.MarshalTime(in).MarshalGQL(&buf)
	assert.Equal(t, `"2025-03-01T12:04:05Z"`, buf.String(), "UTC, RFC 3339")

	got, err := model.UnmarshalTime("2025-03-01T12:04:05Z")
	require.NoError(t, err)
	assert.True(t, got.Equal(in))

	for _, bad := range []any{"yesterday", 1700000000, nil} {
		_, err := model.UnmarshalTime(bad)
		require.Error(t, err, "%v", bad)
		assert.Equal(t, platform.KindInvalid, platform.KindOf(err))
	}
}
