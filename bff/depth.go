package bff

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit is a gqlgen handler extension that rejects operations whose
// selections nest deeper than max (fragments count as what they contain;
// introspection fields are not counted, so GraphiQL's schema query passes).
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (d depthLimit) Validate(graphql.ExecutableSchema) error {
	if d.max < 1 {
		return errors.New("depth limit must be at least 1")
	}
	return nil
}

func (d depthLimit) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	m := depthMeasure{fragments: map[string]int{}}
	if depth := m.selections(opCtx.Operation.SelectionSet); depth > d.max {
		err := gqlerror.Errorf("operation has depth %d, which exceeds the limit of %d", depth, d.max)
		errcode.Set(err, CodeDepthLimit)
		return err
	}
	return nil
}

// depthMeasure memoizes the depth of each named fragment, so a document
// spreading fragments many times costs no more than its size.
type depthMeasure struct {
	fragments map[string]int
}

func (m depthMeasure) selections(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + m.selections(s.SelectionSet)
		case *ast.InlineFragment:
			d = m.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			d = m.fragment(s)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

func (m depthMeasure) fragment(s *ast.FragmentSpread) int {
	if s.Definition == nil {
		return 0
	}
	if d, ok := m.fragments[s.Name]; ok {
		return d
	}
	m.fragments[s.Name] = 0 // a cycle (rejected by validation anyway) ends here
	d := m.selections(s.Definition.SelectionSet)
	m.fragments[s.Name] = d
	return d
}
