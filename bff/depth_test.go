package bff

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/dflix/dflix/graph"
)

func TestDepth(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{"flat", `{ genres { id } }`, 2},
		{"connection", `{ videos { edges { node { id } } } }`, 4},
		{"inline fragment adds nothing", `{ videos { edges { node { ... on Video { categories { id } } } } } }`, 5},
		{"named fragments count what they hold", `{ videos { ...C } } fragment C on VideoConnection { edges { node { ...V } } } fragment V on Video { genres { name } }`, 5},
		{"deepest branch wins", `{ genres { id } videos { edges { cursor } } }`, 3},
		{"introspection is not counted", `{ __schema { types { fields { type { ofType { ofType { name } } } } } } genres { id } }`, 2},
		{"typename is not counted", `{ __typename }`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, tt.query)
			require.Empty(t, errs)
			m := depthMeasure{fragments: map[string]int{}}
			assert.Equal(t, tt.want, m.selections(doc.Operations[0].SelectionSet))
		})
	}
}
