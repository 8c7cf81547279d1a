package bff_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/platform"
)

// TestPartialDataWhileCatalogIsDown checks that a page asking several
// services for data still gets what the reachable ones answer while catalog
// fails: only catalog's root fields are null, each with one UNAVAILABLE
// error at its own path. Were they non-null, GraphQL would null the whole
// data object.
func TestPartialDataWhileCatalogIsDown(t *testing.T) {
	tests := []struct {
		name     string
		query    string
		catalog  func(method string) error // nil: catalog answers
		withData []string                  // root fields that must carry data
		null     []string                  // root fields that must be null, each with its error
	}{
		{
			name:     "catalog answers",
			query:    `{ me { email } plans { id } videos(first: 1) { totalCount } }`,
			withData: []string{"me", "plans", "videos"},
		},
		{
			name:     "catalog down: videos null",
			query:    `{ me { email } plans { id } videos(first: 1) { totalCount } }`,
			catalog:  unavailable,
			withData: []string{"me", "plans"},
			null:     []string{"videos"},
		},
		{
			name:     "catalog down: each catalog field null on its own",
			query:    `{ me { email } videos(first: 1) { totalCount } search(query: "night") { totalCount } plans { name } }`,
			catalog:  unavailable,
			withData: []string{"me", "plans"},
			null:     []string{"videos", "search"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t, stackOptions{})
			s.calls.setHook(tt.catalog)
			res := s.do(t, s.viewer.token, tt.query, nil)

			require.NotNil(t, res.Data, "data is kept: %s", res.String())
			for _, field := range tt.withData {
				assert.NotEqual(t, "null", orNull(res.Data[field]), "%s has data: %s", field, res.String())
			}
			var me struct{ Email string }
			require.NoError(t, json.Unmarshal(res.Data["me"], &me))
			assert.Equal(t, viewerEmail, me.Email)

			require.Len(t, res.Errors, len(tt.null), res.String())
			byPath := map[string]gqlError{}
			for _, e := range res.Errors {
				require.Len(t, e.Path, 1, "a root field's error: %s", res.String())
				byPath[e.Path[0].(string)] = e
			}
			for _, field := range tt.null {
				assert.Equal(t, "null", orNull(res.Data[field]), "%s is null", field)
				require.Contains(t, byPath, field, "an error at path [%q]", field)
				assert.Equal(t, bff.CodeUnavailable, byPath[field].Extensions["code"])
			}
		})
	}
}

// unavailable fails every catalog call as a stopped catalog does behind
// its sidecar.
func unavailable(string) error {
	return platform.E(platform.KindUnavailable, "catalog unreachable", nil)
}

// TestHistoryWithoutCatalog checks that a viewer's watch history, which is
// subscription's, still lists while catalog is down: each entry without its
// video, and one UNAVAILABLE error on the list.
func TestHistoryWithoutCatalog(t *testing.T) {
	s := newStack(t, stackOptions{})
	res := s.do(t, s.viewer.token, `mutation($id: ID!) { recordProgress(videoId: $id, positionSeconds: 3) { positionSeconds } }`,
		map[string]any{"id": s.fixture.video})
	require.Empty(t, res.Errors, res.String())

	s.calls.setHook(unavailable)
	for _, query := range []string{
		`{ continueWatching { positionSeconds video { id } } }`,
		`{ watchHistory { edges { node { positionSeconds video { id } } } } }`,
	} {
		res = s.do(t, s.viewer.token, query, nil)
		data, err := json.Marshal(res.Data)
		require.NoError(t, err)
		require.Len(t, res.Errors, 1, "%s data %s", res, data)
		assert.Equal(t, bff.CodeUnavailable, res.Errors[0].Extensions["code"])
		assert.Contains(t, string(data), `"positionSeconds":3`, "the entry is listed")
		assert.Contains(t, string(data), `"video":null`, "without its video")
	}
}
