package bff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

const pageYear = 1999

// seedPage creates 20 published videos from pageYear, each with two
// categories, two genres and three cast members out of small pools, and
// tags the first five for the viewer.
func (s *stack) seedPage(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var cats, genres, cast []string
	for range 4 {
		cats = append(cats, s.newCategory())
		genres = append(genres, s.newGenre())
	}
	for range 6 {
		cast = append(cast, s.newCast(catalog.CastActor))
	}
	viewer := platform.Caller{UserID: s.viewer.id, Role: platform.RoleViewer}
	ids := make([]string, 20)
	for i := range ids {
		resp, err := s.catalog.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: s.adminCaller(), Input: catalog.VideoInput{
			Title: fmt.Sprintf("Page video %02d", i), ReleaseYear: pageYear, DurationSeconds: 60, AgeRating: catalog.RatingG,
			CategoryIDs: []string{cats[i%4], cats[(i+1)%4]},
			GenreIDs:    []string{genres[i%4], genres[(i+2)%4]},
			CastIDs:     []string{cast[i%6], cast[(i+1)%6], cast[(i+2)%6]},
		}})
		require.NoError(t, err)
		_, err = s.catalog.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: s.adminCaller(), ID: resp.Video.ID, Published: true})
		require.NoError(t, err)
		if i < 5 {
			_, err = s.catalog.AddTags(ctx, catalog.AddTagsRequest{Caller: viewer, VideoID: resp.Video.ID, Tags: []string{"watch-later"}})
			require.NoError(t, err)
		}
		ids[i] = resp.Video.ID
	}
	return ids
}

type pageNode struct {
	ID         string              `json:"id"`
	Categories []map[string]string `json:"categories"`
	Genres     []map[string]string `json:"genres"`
	Cast       []map[string]string `json:"cast"`
	MyTags     []string            `json:"myTags"`
}

// TestDataloaderCallCounts proves that a page of 20 videos with their
// categories, genres, cast and the caller's tags costs one catalog call per
// kind of data, not one per video.
func TestDataloaderCallCounts(t *testing.T) {
	s := newStack(t, stackOptions{})
	ids := s.seedPage(t)
	const full = `{ id categories { id name } genres { id name } cast { id name type } myTags }`
	page := fmt.Sprintf(`{ videos(first: 20, filter: {year: %d}) { edges { node %s } } }`, pageYear, full)

	tests := []struct {
		name  string
		token string
		query string
		vars  map[string]any
		calls map[string]int
		check func(t *testing.T, data map[string]json.RawMessage)
	}{
		{"page as a viewer", s.viewer.token, page, nil,
			map[string]int{catalog.MethodListVideos: 1, catalog.MethodGetTaxonomy: 1, catalog.MethodUserTags: 1},
			func(t *testing.T, data map[string]json.RawMessage) {
				nodes := pageNodes(t, data["videos"])
				require.Len(t, nodes, 20)
				tagged := 0
				for _, n := range nodes {
					assert.Len(t, n.Categories, 2)
					assert.Len(t, n.Genres, 2)
					assert.Len(t, n.Cast, 3)
					if len(n.MyTags) > 0 {
						tagged++
						assert.Equal(t, []string{"watch-later"}, n.MyTags)
					}
				}
				assert.Equal(t, 5, tagged)
			}},
		{"page as anonymous costs no tags call", "", page, nil,
			map[string]int{catalog.MethodListVideos: 1, catalog.MethodGetTaxonomy: 1},
			func(t *testing.T, data map[string]json.RawMessage) {
				for _, n := range pageNodes(t, data["videos"]) {
					assert.Empty(t, n.MyTags)
					assert.NotNil(t, n.MyTags)
				}
			}},
		{"page without taxonomy loads none", s.viewer.token,
			fmt.Sprintf(`{ videos(first: 20, filter: {year: %d}) { edges { node { id title } } } }`, pageYear), nil,
			map[string]int{catalog.MethodListVideos: 1}, nil},
		{"fragments are seen", s.viewer.token,
			fmt.Sprintf(`{ videos(first: 20, filter: {year: %d}) { edges { node { ...V } } } } fragment V on Video { id ... on Video { genres { name } } }`, pageYear), nil,
			map[string]int{catalog.MethodListVideos: 1, catalog.MethodGetTaxonomy: 1}, nil},
		{"one video", s.viewer.token, `query($id: ID!) { video(id: $id) ` + full + ` }`, map[string]any{"id": ids[0]},
			map[string]int{catalog.MethodGetVideo: 1, catalog.MethodGetTaxonomy: 1, catalog.MethodUserTags: 1}, nil},
		{"search facets", s.viewer.token, `{ search(query: "page video") { totalCount facets { categories { category { name } count } genres { genre { name } count } years { year count } } } }`, nil,
			map[string]int{catalog.MethodSearch: 1, catalog.MethodGetTaxonomy: 1},
			func(t *testing.T, data map[string]json.RawMessage) {
				var res struct {
					Facets struct {
						Categories []struct{ Count int } `json:"categories"`
						Genres     []struct{ Count int } `json:"genres"`
					} `json:"facets"`
				}
				require.NoError(t, json.Unmarshal(data["search"], &res))
				assert.NotEmpty(t, res.Facets.Categories)
				assert.NotEmpty(t, res.Facets.Genres)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.calls.reset()
			res := s.do(t, tt.token, tt.query, tt.vars)
			require.Empty(t, res.Errors, res.String())
			assert.Equal(t, tt.calls, s.calls.reset())
			if tt.check != nil {
				tt.check(t, res.Data)
			}
		})
	}
}

func pageNodes(t *testing.T, raw json.RawMessage) []pageNode {
	t.Helper()
	var conn struct {
		Edges []struct{ Node pageNode } `json:"edges"`
	}
	require.NoError(t, json.Unmarshal(raw, &conn))
	nodes := make([]pageNode, len(conn.Edges))
	for i, e := range conn.Edges {
		nodes[i] = e.Node
	}
	return nodes
}
