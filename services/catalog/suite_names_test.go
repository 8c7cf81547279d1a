package catalog_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
)

func testByName(t *testing.T, newAPI func(t *testing.T) catalog.API) {
	api := newAPI(t)
	for _, title := range []string{"The Matrix", "the matrix", "Matrix Reloaded", "École du Soir", "Straße der Nacht", "Hidden Matrix"} {
		mustVideo(t, api, input(title), title != "Hidden Matrix")
	}
	cases := []struct {
		name  string
		query string
		exact bool
		want  []string
	}{
		{"exact is case-insensitive", "THE MATRIX", true, []string{"The Matrix", "the matrix"}},
		{"exact needs the whole title", "matrix", true, []string{}},
		{"partial", "matrix", false, []string{"Matrix Reloaded", "The Matrix", "the matrix"}},
		{"partial in the middle", "rix rel", false, []string{"Matrix Reloaded"}},
		{"unicode case", "ÉCOLE", false, []string{"École du Soir"}},
		{"case folding", "STRASSE", false, []string{"Straße der Nacht"}},
		{"trimmed", "  reloaded ", false, []string{"Matrix Reloaded"}},
		{"no match", "zion", false, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: viewer, Name: tc.query, Exact: tc.exact})
			require.NoError(t, err)
			got := titles(resp.Videos)
			if tc.name == "exact is case-insensitive" || tc.name == "partial" {
				// Equal titles under folding tie-break by id: compare as sets.
				assert.ElementsMatch(t, tc.want, got)
				return
			}
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("ordered by title", func(t *testing.T) {
		resp, err := api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: viewer, Name: "matrix"})
		require.NoError(t, err)
		got := titles(resp.Videos)
		require.Len(t, got, 3)
		assert.Equal(t, "Matrix Reloaded", got[0])
	})
	t.Run("admins see unpublished", func(t *testing.T) {
		resp, err := api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: admin, Name: "hidden"})
		require.NoError(t, err)
		assert.Equal(t, []string{"Hidden Matrix"}, titles(resp.Videos))
	})
}
