package auth

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHasher(t *testing.T) {
	h, err := newHasher(fastArgon2, 0)
	require.NoError(t, err)
	encoded, err := h.hash(t.Context(), "s3cret password")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(encoded, "$argon2id$v=19$m=64,t=1,p=1$"), encoded)

	other, err := h.hash(t.Context(), "s3cret password")
	require.NoError(t, err)
	assert.NotEqual(t, encoded, other, "a fresh salt every time")

	tests := []struct {
		name     string
		password string
		ok       bool
	}{
		{"right", "s3cret password", true},
		{"wrong", "s3cret passworD", false},
		{"empty", "", false},
		{"prefix", "s3cret", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.verify(t.Context(), encoded, tt.password)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			assert.False(t, rehash)
		})
	}

	stronger := fastArgon2
	stronger.MemoryKiB = 128
	h2, err := newHasher(stronger, 1)
	require.NoError(t, err)
	ok, rehash, err := h2.verify(t.Context(), encoded, "s3cret password")
	require.NoError(t, err)
	assert.True(t, ok, "a hash keeps its own parameters")
	assert.True(t, rehash, "but asks to be remade with the current ones")
}

func TestDecodePHCRejects(t *testing.T) {
	h, err := newHasher(fastArgon2, 1)
	require.NoError(t, err)
	good, err := h.hash(t.Context(), "password1")
	require.NoError(t, err)
	parts := strings.Split(good, "$")
	tests := map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuv",
		"argon2i":        strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":    strings.Replace(good, "v=19", "v=16", 1),
		"bad params":     strings.Join([]string{"", parts[1], parts[2], "m=x,t=1,p=1", parts[4], parts[5]}, "$"),
		"huge memory":    strings.Join([]string{"", parts[1], parts[2], "m=99999999,t=1,p=1", parts[4], parts[5]}, "$"),
		"zero time":      strings.Join([]string{"", parts[1], parts[2], "m=64,t=0,p=1", parts[4], parts[5]}, "$"),
		"bad salt":       strings.Join([]string{"", parts[1], parts[2], parts[3], "!!", parts[5]}, "$"),
		"short key":      strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "AAAA"}, "$"),
		"missing fields": strings.Join(parts[:5], "$"),
	}
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := h.verify(t.Context(), encoded, "password1")
			require.Error(t, err)
		})
	}
}

func TestDefaultArgon2ParamsAreValid(t *testing.T) {
	require.NoError(t, DefaultArgon2Params.validate())
	assert.Equal(t, DefaultArgon2Params, Config{}.withDefaults().Argon2)
	partial := Config{Argon2: Argon2Params{MemoryKiB: 64 * 1024}}.withDefaults().Argon2
	assert.Equal(t, uint32(64*1024), partial.MemoryKiB)
	assert.Equal(t, DefaultArgon2Params.Iterations, partial.Iterations, "other fields default")
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"a@b.io", "a@b.io", true},
		{"  MiXeD@Case.IO\n", "mixed@case.io", true},
		{"first.last+tag@sub.example.com", "first.last+tag@sub.example.com", true},
		{"", "", false},
		{"@b.io", "", false},
		{"a@", "", false},
		{"a b@c.io", "", false},
		{"<a@b.io>", "", false},
		{"A <a@b.io>", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeEmail(tt.in)
			if !tt.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// BenchmarkHashDefault is the cost of one sign-in's password check with the
// production parameters (one argon2id derivation, 19 MiB).
func BenchmarkHashDefault(b *testing.B) {
	h, err := newHasher(DefaultArgon2Params, 1)
	require.NoError(b, err)
	encoded, err := h.hash(b.Context(), "correct horse battery")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := h.verify(b.Context(), encoded, "wrong horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}
