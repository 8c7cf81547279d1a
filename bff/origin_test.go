package bff

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOriginAllowed(t *testing.T) {
	tests := []struct {
		name     string
		origin   string
		patterns []string
		want     bool
	}{
		{"no origin", "", nil, true},
		{"same host", "http://dflix.test", nil, true},
		{"other host", "http://evil.test", nil, false},
		{"listed host", "https://app.dflix.test", []string{"app.dflix.test"}, true},
		{"host wildcard", "https://a.dflix.test", []string{"*.dflix.test"}, true},
		{"scheme pattern", "http://localhost:5173", []string{"http://localhost:*"}, true},
		{"scheme pattern wrong scheme", "https://localhost:5173", []string{"http://localhost:*"}, false},
		{"anything", "https://evil.test", []string{"*"}, true},
		{"garbage origin", "::::", []string{"app.dflix.test"}, false},
		{"null origin", "null", []string{"app.dflix.test"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://dflix.test/graphql", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			assert.Equal(t, tt.want, originAllowed(r, tt.patterns))
		})
	}
}
