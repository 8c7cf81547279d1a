package bff

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// costlyFields are the root mutations whose every run costs the server
// real work or has an outside effect: argon2id password hashing (login,
// register, changePassword), refresh-token rotation, and card charges
// (subscribe). Config.CostlyFieldLimit bounds how often one operation may
// run each.
var costlyFields = map[string]bool{
	"login":          true,
	"register":       true,
	"refreshToken":   true,
	"changePassword": true,
	"subscribe":      true,
}

// Bounds on repetition that gqlgen's validation pays for quadratically:
// its rule that fields can merge (OverlappingFieldsCanBeMerged) compares
// every pair of fields answering under one name in a selection set, and
// every pair of fragments spread into one, so a document under the token
// limit made of repeats alone takes seconds of CPU to validate (measured
// on the dflix schema: 2000 × `__typename` 0.9 s, 3700 × `genres { id }`
// about 10 s, 700 fragments spread side by side 2.7 s). No real client
// repeats a field this often: fragments of several components may share
// `id` or `title`, a handful of times.
const (
	// maxDuplicates bounds, over the whole document, the fields whose
	// response name is already taken in their selection set (fragments
	// included).
	maxDuplicates = 50
	// maxSpreads bounds the distinct fragments spread into one selection
	// set.
	maxSpreads = 30
)

// aliasLimit is a gqlgen handler extension that refuses, with
// ALIAS_LIMIT_EXCEEDED, documents that multiply work by repetition: more
// than maxAliases aliased fields in an operation, a costly root mutation
// under more than maxCostly names, or more repeats than the bounds above.
// GraphQL merges a field repeated under one name (same arguments), so only
// an alias makes it run again; and the complexity limit does not stop
// that, since a login costs 2 and the default limit of 1000 would let 500
// through, each an argon2id hash. It runs before gqlgen parses and
// validates the document, so a refused one costs one parse; documents in
// accepted (the server's query cache, which holds only documents that
// passed) are not checked again.
type aliasLimit struct {
	maxAliases int
	maxCostly  int
	accepted   graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = aliasLimit{}

func (aliasLimit) ExtensionName() string { return "AliasLimit" }

func (a aliasLimit) Validate(graphql.ExecutableSchema) error {
	if a.maxAliases < 1 || a.maxCostly < 1 || a.accepted == nil {
		return errors.New("alias limits must be at least 1, with the query cache")
	}
	return nil
}

func (a aliasLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil
	}
	if _, ok := a.accepted.Get(ctx, params.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, parserTokenLimit)
	if err != nil {
		return nil // gqlgen's own parse reports it
	}
	return a.check(doc)
}

// check applies the limits to every operation of doc, whichever runs: a
// document that passes is cached as a whole.
func (a aliasLimit) check(doc *ast.QueryDocument) *gqlerror.Error {
	r := repeats{doc: doc, checked: map[*ast.FragmentDefinition]bool{}}
	aliases := aliasCount{doc: doc, fragments: map[string]int{}}
	for _, op := range doc.Operations {
		if n := aliases.selections(op.SelectionSet); n > a.maxAliases {
			return aliasError("operation has %d aliased fields, which exceeds the limit of %d", n, a.maxAliases)
		}
		if err := a.checkCostly(doc, op); err != nil {
			return err
		}
		if err := r.set(op.SelectionSet); err != nil {
			return err
		}
	}
	for _, f := range doc.Fragments {
		if err := r.fragment(f); err != nil {
			return err
		}
	}
	return nil
}

func (a aliasLimit) checkCostly(doc *ast.QueryDocument, op *ast.OperationDefinition) *gqlerror.Error {
	if op.Operation != ast.Mutation {
		return nil
	}
	keys := map[string]map[string]bool{}
	merged(doc, op.SelectionSet, map[string]bool{}, func(f *ast.Field) {
		if keys[f.Name] == nil {
			keys[f.Name] = map[string]bool{}
		}
		keys[f.Name][f.Alias] = true
	})
	for name, set := range keys {
		if costlyFields[name] && len(set) > a.maxCostly {
			return aliasError("operation runs %s %d times, which exceeds the limit of %d", name, len(set), a.maxCostly)
		}
	}
	return nil
}

func aliasError(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, CodeAliasLimit)
	return err
}

// merged calls visit for each field of a selection set as GraphQL merges
// it: with the fields of its inline fragments and of the fragments it
// spreads (each once, tracked in spread). The parser sets a field's Alias
// to its name when it has none, so Alias is its response name.
func merged(doc *ast.QueryDocument, set ast.SelectionSet, spread map[string]bool, visit func(*ast.Field)) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			visit(s)
		case *ast.InlineFragment:
			merged(doc, s.SelectionSet, spread, visit)
		case *ast.FragmentSpread:
			if spread[s.Name] {
				continue
			}
			spread[s.Name] = true
			if def := doc.Fragments.ForName(s.Name); def != nil {
				merged(doc, def.SelectionSet, spread, visit)
			}
		}
	}
}

// repeats counts duplicated fields and spreads per merged selection set.
type repeats struct {
	doc        *ast.QueryDocument
	duplicates int
	checked    map[*ast.FragmentDefinition]bool
}

// set checks one selection set, then those below the fields written in it
// (a spread fragment's own are checked once, with the fragment).
func (r *repeats) set(set ast.SelectionSet) *gqlerror.Error {
	if len(set) == 0 {
		return nil
	}
	seen := map[string]bool{}
	spread := map[string]bool{}
	merged(r.doc, set, spread, func(f *ast.Field) {
		if seen[f.Alias] {
			r.duplicates++
		}
		seen[f.Alias] = true
	})
	if r.duplicates > maxDuplicates {
		return aliasError("document repeats fields %d times, which exceeds the limit of %d", r.duplicates, maxDuplicates)
	}
	if len(spread) > maxSpreads {
		return aliasError("a selection spreads %d fragments, which exceeds the limit of %d", len(spread), maxSpreads)
	}
	return r.below(set)
}

func (r *repeats) below(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			err = r.set(s.SelectionSet)
		case *ast.InlineFragment:
			err = r.below(s.SelectionSet)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (r *repeats) fragment(f *ast.FragmentDefinition) *gqlerror.Error {
	if r.checked[f] {
		return nil
	}
	r.checked[f] = true
	return r.set(f.SelectionSet)
}

// aliasCount counts aliased fields, a fragment as often as it is spread
// (an upper bound: spreads merged into one selection run once), memoizing
// each fragment's count so a document costs no more than its size.
type aliasCount struct {
	doc       *ast.QueryDocument
	fragments map[string]int
}

// maxCount saturates the count: fragments spread within fragments could
// otherwise overflow it.
const maxCount = 1 << 30

func (m aliasCount) selections(set ast.SelectionSet) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != s.Name {
				n++
			}
			n += m.selections(s.SelectionSet)
		case *ast.InlineFragment:
			n += m.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			n += m.fragment(s.Name)
		}
		n = min(n, maxCount)
	}
	return n
}

func (m aliasCount) fragment(name string) int {
	if n, ok := m.fragments[name]; ok {
		return n
	}
	def := m.doc.Fragments.ForName(name)
	if def == nil {
		return 0 // validation reports it
	}
	m.fragments[name] = 0 // a cycle (rejected by validation) ends here
	n := m.selections(def.SelectionSet)
	m.fragments[name] = n
	return n
}
