package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/dflix/dflix/bff/loader"
)

// maxSelectionWalk bounds the walk; the depth limit rejects deeper
// operations long before.
const maxSelectionWalk = 64

// wantedVideoFields reports which loader-backed Video fields appear anywhere
// under the current field (through fragments too), so list resolvers can
// prime exactly those loaders.
func wantedVideoFields(ctx context.Context) loader.Want {
	var w loader.Want
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil {
		walkVideoFields(fc.Field.Selections, &w, 0)
	}
	return w
}

func walkVideoFields(set ast.SelectionSet, w *loader.Want, depth int) {
	if depth > maxSelectionWalk {
		return
	}
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil && s.ObjectDefinition.Name == "Video" {
				markVideoField(s.Name, w)
			}
			walkVideoFields(s.SelectionSet, w, depth+1)
		case *ast.InlineFragment:
			walkVideoFields(s.SelectionSet, w, depth+1)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				walkVideoFields(s.Definition.SelectionSet, w, depth+1)
			}
		}
	}
}

func markVideoField(name string, w *loader.Want) {
	switch name {
	case "categories":
		w.Categories = true
	case "genres":
		w.Genres = true
	case "cast":
		w.Cast = true
	case "myTags":
		w.MyTags = true
	}
}
