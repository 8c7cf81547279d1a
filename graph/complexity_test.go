package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
)

func TestComplexity(t *testing.T) {
	es := NewExecutableSchema(Config{Complexity: Complexity()})
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"scalar fields cost one each", `{ genres { id name } }`, 1 + taxonomyListFanout*2},
		{"connections multiply by first", `{ videos(first: 10) { totalCount } }`, 1 + 10*1},
		{"default page size", `{ videos { totalCount } }`, 1 + defaultFirst*1},
		{"per-video lists multiply by their fan-out", `{ videos(first: 1) { edges { node { categories { id } } } } }`, 1 + (1 + (1 + (1 + taxonomyFanout*1)))},
		{"nonsense first counts as one", `{ videos(first: -5) { totalCount } }`, 2},
		{"dead letters cost like an unpaged list", `{ deadLetters { id reason } }`, 1 + listFanout*2},
		{"huge first saturates without overflow", `{ videos(first: 2147483647) { edges { node { cast { id } } } } }`, 1 + maxItems*(1+(1+(1+taxonomyFanout)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(es.Schema(), tt.query)
			require.Empty(t, errs)
			got := complexity.Calculate(context.Background(), es, doc.Operations[0], nil)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBrowsePageFitsTheDefaultLimit(t *testing.T) {
	es := NewExecutableSchema(Config{Complexity: Complexity()})
	const page = `{ videos(first: 20) { totalCount pageInfo { hasNextPage endCursor }
	  edges { cursor node { id title description releaseYear durationSeconds ageRating
	    categories { id name } genres { id name } cast { id name type } myTags } } } }`
	doc, errs := gqlparser.LoadQuery(es.Schema(), page)
	require.Empty(t, errs)
	got := complexity.Calculate(context.Background(), es, doc.Operations[0], nil)
	assert.Less(t, got, 1000, "the home page query stays under the BFF's default limit")
}
