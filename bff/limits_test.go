package bff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/graph"
)

// loginAs is a login mutation field for the fixture viewer.
const loginAs = `login(email: "viewer@dflix.test", password: "correct horse battery") { accessToken }`

// registerAs returns n aliased register fields, each a new account.
func registerAs(n int) string {
	var b strings.Builder
	for i := range n {
		email := strings.ReplaceAll(unique("alias"), " ", "") + "@dflix.test"
		fmt.Fprintf(&b, `r%d: register(input: {email: %q, password: "correct horse battery", displayName: "A"}) { accessToken } `, i, email)
	}
	return b.String()
}

// aliasedFragment is n aliased video fields, each spreading a fragment of
// ten aliased titles: n + 10n aliases.
func aliasedFragment(n int) string {
	var b strings.Builder
	b.WriteString("query($id: ID!) { ")
	for i := range n {
		fmt.Fprintf(&b, "v%d: video(id: $id) { ...Titles } ", i)
	}
	b.WriteString("} fragment Titles on Video { ")
	for i := range 10 {
		fmt.Fprintf(&b, "t%d: title ", i)
	}
	return b.String() + "}"
}

// TestComplexityMissesAliasedLogins is why the alias limits exist: 500
// aliased logins, 500 argon2id hashes, cost less than the complexity limit.
func TestComplexityMissesAliasedLogins(t *testing.T) {
	es := graph.NewExecutableSchema(graph.Config{Complexity: graph.Complexity()})
	doc, errs := gqlparser.LoadQuery(es.Schema(), "mutation { "+aliased(500, loginAs)+"}")
	require.Empty(t, errs)
	cost := complexity.Calculate(context.Background(), es, doc.Operations[0], nil)
	assert.LessOrEqual(t, cost, bff.DefaultComplexityLimit, "complexity alone would run them")
}

// TestAliasLimits: too many aliases, or a costly mutation under too many
// names, is refused with ALIAS_LIMIT_EXCEEDED before anything runs; at the
// limit the operation runs.
func TestAliasLimits(t *testing.T) {
	s := newStack(t, stackOptions{})
	video := map[string]any{"id": s.fixture.video}
	tests := []struct {
		name  string
		token string
		query string
		vars  map[string]any
		code  string // "" when it runs
	}{
		{"100 aliases run", "", "{ " + aliased(100, "__typename") + "}", nil, ""},
		{"101 aliases", "", "{ " + aliased(101, "__typename") + "}", nil, bff.CodeAliasLimit},
		{"aliases in nested selections", "", "{ videos(first: 1) { edges { node { " + aliased(101, "title") + "} } } }", nil, bff.CodeAliasLimit},
		{"a fragment counts each time it is spread", "", aliasedFragment(10), video, bff.CodeAliasLimit},
		{"the same fragment spread fewer times", "", aliasedFragment(9), video, ""},
		{"500 aliased logins, under the complexity limit", "", "mutation { " + aliased(500, loginAs) + "}", nil, bff.CodeAliasLimit},
		{"5 logins run", "", "mutation { " + aliased(5, loginAs) + "}", nil, ""},
		{"6 logins", "", "mutation { " + aliased(6, loginAs) + "}", nil, bff.CodeAliasLimit},
		{"6 logins through fragments", "", "mutation { ...A ... on Mutation { x: " + loginAs + " } } fragment A on Mutation { " + aliased(5, loginAs) + "}", nil, bff.CodeAliasLimit},
		{"6 registrations", "", "mutation { " + registerAs(6) + "}", nil, bff.CodeAliasLimit},
		{"6 refreshes", "", `mutation { ` + aliased(6, `refreshToken(refreshToken: "x") { accessToken }`) + "}", nil, bff.CodeAliasLimit},
		{"6 password changes", s.viewer.token, `mutation { ` + aliased(6, `changePassword(oldPassword: "a", newPassword: "b")`) + "}", nil, bff.CodeAliasLimit},
		{"6 subscriptions", s.viewer.token, `mutation($p: ID!) { ` + aliased(6, `subscribe(planId: $p, paymentMethod: {number: "4242424242424242", expMonth: 1, expYear: 2040, cvc: "123"}) { status }`) + "}",
			map[string]any{"p": s.fixture.plan}, bff.CodeAliasLimit},
		{"a login repeated without aliases is merged and runs once", "", "mutation { " + strings.Repeat(loginAs+" ", 20) + "}", nil, ""},
		{"50 repeated fields", "", "{ " + strings.Repeat("genres { id } ", 51) + "}", nil, ""},
		{"51 repeated fields", "", "{ " + strings.Repeat("genres { id } ", 52) + "}", nil, bff.CodeAliasLimit},
		{"repeats through fragments", "", "{ ...G " + strings.Repeat("... on Query { genres { id } } ", 51) + "} fragment G on Query { genres { id } }", nil, bff.CodeAliasLimit},
		{"repeats in nested selections", "", "{ genres { " + strings.Repeat("id ", 27) + "} categories { " + strings.Repeat("id ", 27) + "} }", nil, bff.CodeAliasLimit},
		{"30 fragments spread together", "", spreads(30), nil, ""},
		{"31 fragments spread together", "", spreads(31), nil, bff.CodeAliasLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.snapshot(t)
			res := s.do(t, tt.token, tt.query, tt.vars)
			require.Equal(t, tt.code, res.code(), res.String())
			if tt.code != "" {
				assert.Len(t, res.Errors, 1)
				assert.Empty(t, res.Data, "refused before execution")
				assert.Equal(t, before, s.snapshot(t), "nothing changed")
			}
		})
	}

	t.Run("configurable", func(t *testing.T) {
		s := newStack(t, stackOptions{cfg: bff.Config{AliasLimit: 3, CostlyFieldLimit: 1}})
		assert.Empty(t, s.do(t, "", "{ "+aliased(3, "__typename")+"}", nil).Errors)
		assert.Equal(t, bff.CodeAliasLimit, s.do(t, "", "{ "+aliased(4, "__typename")+"}", nil).code())
		assert.Empty(t, s.do(t, "", "mutation { "+aliased(1, loginAs)+"}", nil).Errors)
		assert.Equal(t, bff.CodeAliasLimit, s.do(t, "", "mutation { "+aliased(2, loginAs)+"}", nil).code())
	})
}

// post sends a raw body to /graphql.
func post(t *testing.T, s *stack, body string) (int, gqlResult, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	status, raw := s.send(t, req)
	var res gqlResult
	require.NoError(t, json.Unmarshal(raw, &res), "body: %s", raw)
	return status, res, string(raw)
}

// TestBatchedOperationsAreRefused: gqlgen runs one operation per request;
// a JSON array of operations is a clear 400, not a 500 or a decoder
// message, and the server keeps serving.
func TestBatchedOperationsAreRefused(t *testing.T) {
	s := newStack(t, stackOptions{})
	login := `{"query":"mutation { ` + strings.ReplaceAll(loginAs, `"`, `\"`) + ` }"}`
	tests := []struct {
		name string
		body string
	}{
		{"two queries", `[{"query":"{ genres { id } }"},{"query":"{ videos { totalCount } }"}]`},
		{"a thousand logins", "[" + strings.TrimSuffix(strings.Repeat(login+",", 1000), ",") + "]"},
		{"after whitespace", " \n\t [" + login + "]"},
		{"empty batch", "[]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, res, raw := post(t, s, tt.body)
			assert.Equal(t, http.StatusBadRequest, status)
			require.Equal(t, bff.CodeBadRequest, res.code(), raw)
			assert.Contains(t, res.Errors[0].Message, "batched operations are not supported")
			assert.Nil(t, res.Data)
		})
	}
	status, res, _ := post(t, s, `{"query":"{ genres { id } }"}`)
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, res.Errors, "one operation still runs")
}

// TestUnreadableBodiesSayLittle: a body gqlgen cannot decode is described
// plainly, without Go type names or the body quoted back.
func TestUnreadableBodiesSayLittle(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, body := range []string{`{"query": `, `"just a string"`, `{"query": 42}`, `{"query":"{ genres { id } }","variables":"secret-ish"}`} {
		status, res, raw := post(t, s, body)
		assert.Equal(t, http.StatusBadRequest, status, raw)
		require.Equal(t, bff.CodeBadRequest, res.code(), raw)
		for _, leak := range []string{"graphql.", "RawParams", "Go value", "json:", "secret-ish", "body:"} {
			assert.NotContains(t, raw, leak)
		}
	}
}

// TestTokenLimit: a document of more tokens than the parser reads, well
// under the body limit, is refused with TOKEN_LIMIT_EXCEEDED, and the
// server keeps serving; one at the limit parses.
func TestTokenLimit(t *testing.T) {
	s := newStack(t, stackOptions{})
	// "{", "}" and one token per __typename.
	doc := func(tokens int) string { return "{ " + strings.Repeat("__typename ", tokens-2) + "}" }
	over := doc(15001)
	require.Less(t, len(over), int(bff.DefaultMaxBodyBytes), "the body limit is not what refuses it")
	res := s.do(t, "", over, nil)
	require.Equal(t, bff.CodeTokenLimit, res.code(), res.String())
	assert.Contains(t, res.Errors[0].Message, "token limit")

	res = s.do(t, "", doc(15000), nil)
	assert.NotEqual(t, bff.CodeTokenLimit, res.code(), "at the limit it parses (and repeats too much): %s", res.String())
	res = s.do(t, "", `{ genres { id } }`, nil)
	assert.Empty(t, res.Errors, "the server keeps serving")
}

// spreads is a query spreading n distinct fragments side by side.
func spreads(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "...F%d ", i)
	}
	b.WriteString("} ")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { f%d: __typename } ", i, i)
	}
	return b.String()
}
