package bff_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// snapshot is everything a refused request must leave as it was.
type snapshot struct {
	users, videos, categories, genres, cast int
	viewerRole                              platform.Role
	viewerTags                              []string
}

func (s *stack) snapshot(t *testing.T) snapshot {
	t.Helper()
	ctx := context.Background()
	var snap snapshot
	users, err := s.auth.ListUsers(ctx, auth.ListUsersRequest{Caller: s.adminCaller(), First: 1})
	require.NoError(t, err)
	snap.users = users.TotalCount
	videos, err := s.catalog.ListVideos(ctx, catalog.ListVideosRequest{Caller: s.adminCaller(), Page: catalog.Page{First: 1}})
	require.NoError(t, err)
	snap.videos = videos.Page.TotalCount
	cats, err := s.catalog.ListCategories(ctx, catalog.ListCategoriesRequest{})
	require.NoError(t, err)
	snap.categories = len(cats.Categories)
	genres, err := s.catalog.ListGenres(ctx, catalog.ListGenresRequest{})
	require.NoError(t, err)
	snap.genres = len(genres.Genres)
	cast, err := s.catalog.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
	require.NoError(t, err)
	snap.cast = len(cast.CastMembers)
	user, err := s.auth.GetUser(ctx, auth.GetUserRequest{Caller: s.adminCaller(), UserID: s.viewer.id})
	require.NoError(t, err)
	snap.viewerRole = user.User.Role
	viewer := platform.Caller{UserID: s.viewer.id, Role: platform.RoleViewer}
	tags, err := s.catalog.UserTags(ctx, catalog.UserTagsRequest{Caller: viewer, VideoIDs: []string{s.fixture.video}})
	require.NoError(t, err)
	snap.viewerTags = tags.Tags[s.fixture.video]
	return snap
}

func (s *stack) genreName(t *testing.T, id string) string {
	t.Helper()
	resp, err := s.catalog.GetTaxonomy(context.Background(), catalog.GetTaxonomyRequest{GenreIDs: []string{id}})
	require.NoError(t, err)
	require.Len(t, resp.Genres, 1)
	return resp.Genres[0].Name
}

// aliased repeats a field n times under aliases.
func aliased(n int, field string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%d: %s ", i, field)
	}
	return b.String()
}

// nested builds a selection that is depth levels of category -> videos ->
// video -> categories, each page of one video.
func nested(levels int, leaf string) string {
	sel := leaf
	for range levels {
		sel = fmt.Sprintf("categories { videos(first: 1) { edges { node { %s } } } }", sel)
	}
	return sel
}

type badCase struct {
	name  string
	token func(t *testing.T, s *stack) string
	query string
	vars  func(s *stack) map[string]any
	code  string
	msg   string // a part of the error message, when the code alone is ambiguous
}

func asAdmin(_ *testing.T, s *stack) string  { return s.admin.token }
func asViewer(_ *testing.T, s *stack) string { return s.viewer.token }
func asNobody(*testing.T, *stack) string     { return "" }

func badCases() []badCase {
	noVars := func(*stack) map[string]any { return nil }
	id := func(v string) func(*stack) map[string]any {
		return func(*stack) map[string]any { return map[string]any{"id": v} }
	}
	video := func(s *stack) map[string]any { return map[string]any{"id": s.fixture.video} }
	long := strings.Repeat("x", 201)
	createGenre := `mutation { createGenre(name: "Never created") { id } }`
	return []badCase{
		// Malformed and unknown ids.
		{"id with spaces", asNobody, `{ video(id: "bad id!") { id } }`, noVars, bff.CodeBadUserInput, ""},
		{"id path traversal in a variable", asAdmin, `mutation($id: ID!) { deleteVideo(id: $id) }`, id("../../etc/passwd"), bff.CodeBadUserInput, ""},
		{"overlong id", asAdmin, `mutation($id: ID!) { deleteVideo(id: $id) }`, id(strings.Repeat("a", 200)), bff.CodeBadUserInput, ""},
		{"empty id", asAdmin, `mutation($id: ID!) { deleteCategory(id: $id) }`, id(""), bff.CodeBadUserInput, ""},
		{"malformed id inside an input list", asAdmin, `mutation { createVideo(input: {title: "T", releaseYear: 2020, durationSeconds: 60, ageRating: PG, genreIds: ["ok-id", "not ok"]}) { id } }`, noVars, bff.CodeBadUserInput, ""},
		{"unknown id", asAdmin, `mutation($id: ID!) { deleteVideo(id: $id) }`, id("00000000-0000-4000-8000-000000000000"), bff.CodeNotFound, ""},
		{"unpublished video to a viewer", asViewer, `query($id: ID!) { video(id: $id) { id } }`, func(s *stack) map[string]any { return map[string]any{"id": s.fixture.draft} }, bff.CodeNotFound, ""},
		// Empty and overlong fields.
		{"empty title", asAdmin, `mutation { createVideo(input: {title: "", releaseYear: 2020, durationSeconds: 60, ageRating: PG}) { id } }`, noVars, bff.CodeBadUserInput, ""},
		{"overlong title", asAdmin, `mutation($t: String!) { createVideo(input: {title: $t, releaseYear: 2020, durationSeconds: 60, ageRating: PG}) { id } }`, func(*stack) map[string]any { return map[string]any{"t": long} }, bff.CodeBadUserInput, ""},
		{"empty category name", asAdmin, `mutation { createCategory(input: {name: ""}) { id } }`, noVars, bff.CodeBadUserInput, ""},
		{"overlong display name", asNobody, `mutation($n: String!) { register(input: {email: "long@dflix.test", password: "correct horse battery", displayName: $n}) { accessToken } }`, func(*stack) map[string]any { return map[string]any{"n": strings.Repeat("n", auth.MaxDisplayName+1)} }, bff.CodeBadUserInput, ""},
		{"empty email", asNobody, `mutation { register(input: {email: "", password: "correct horse battery", displayName: "E"}) { accessToken } }`, noVars, bff.CodeBadUserInput, ""},
		{"short password", asNobody, `mutation { register(input: {email: "short@dflix.test", password: "short", displayName: "S"}) { accessToken } }`, noVars, bff.CodeBadUserInput, ""},
		{"overlong tag", asViewer, `mutation($id: ID!, $t: String!) { addTags(videoId: $id, tags: [$t]) }`, func(s *stack) map[string]any {
			return map[string]any{"id": s.fixture.video, "t": strings.Repeat("t", catalog.MaxTagLen+1)}
		}, bff.CodeBadUserInput, ""},
		{"too many tags", asViewer, `mutation($id: ID!, $t: [String!]!) { addTags(videoId: $id, tags: $t) }`, func(s *stack) map[string]any {
			tags := make([]string, catalog.MaxTagsPerRequest+1)
			for i := range tags {
				tags[i] = fmt.Sprintf("tag%d", i)
			}
			return map[string]any{"id": s.fixture.video, "t": tags}
		}, bff.CodeBadUserInput, ""},
		{"overlong search", asNobody, `query($q: String!) { search(query: $q) { totalCount } }`, func(*stack) map[string]any { return map[string]any{"q": long} }, bff.CodeBadUserInput, ""},
		{"page too large", asNobody, `{ videos(first: 101) { totalCount } }`, noVars, bff.CodeBadUserInput, ""},
		{"negative page", asNobody, `{ videos(first: -1) { totalCount } }`, noVars, bff.CodeBadUserInput, ""},
		{"bad enum in a variable", asAdmin, `mutation($id: ID!, $r: Role!) { setUserRole(userId: $id, role: $r) { id } }`, func(s *stack) map[string]any { return map[string]any{"id": s.viewer.id, "r": "ROOT"} }, bff.CodeBadUserInput, ""},
		{"bad enum literal", asNobody, `{ castMembers(type: WIZARD) { id } }`, noVars, "GRAPHQL_VALIDATION_FAILED", ""},
		{"unknown field", asNobody, `{ videos { nope } }`, noVars, "GRAPHQL_VALIDATION_FAILED", ""},
		{"syntax error", asNobody, `{ videos { `, noVars, "GRAPHQL_PARSE_FAILED", ""},
		// Conflicts and credentials.
		{"duplicate email", asNobody, `mutation($e: String!) { register(input: {email: $e, password: "correct horse battery", displayName: "Dup"}) { accessToken } }`, func(*stack) map[string]any { return map[string]any{"e": strings.ToUpper(viewerEmail)} }, bff.CodeConflict, ""},
		{"duplicate genre name", asAdmin, `mutation($n: String!) { createGenre(name: $n) { id } }`, nil, bff.CodeConflict, ""},
		{"wrong password", asNobody, `mutation { login(email: "viewer@dflix.test", password: "wrong horse battery") { accessToken } }`, noVars, bff.CodeUnauthenticated, ""},
		{"unknown email", asNobody, `mutation { login(email: "nobody@dflix.test", password: "wrong horse battery") { accessToken } }`, noVars, bff.CodeUnauthenticated, ""},
		{"bad refresh token", asNobody, `mutation { refreshToken(refreshToken: "forged") { accessToken } }`, noVars, bff.CodeUnauthenticated, ""},
		// Tokens.
		{"expired token", func(t *testing.T, s *stack) string {
			s.authSkew.Store(int64(-time.Hour))
			defer s.authSkew.Store(0)
			return s.login(adminEmail).token
		}, createGenre, noVars, bff.CodeUnauthenticated, "invalid access token"},
		{"token signed by another key with auth's kid", func(t *testing.T, s *stack) string {
			return newTestKey(t, s.authKID()).sign(t, claimsFor(s.admin.id, "ADMIN"))
		}, createGenre, noVars, bff.CodeUnauthenticated, "invalid access token"},
		{"alg none", func(t *testing.T, s *stack) string {
			return unsignedToken(t, s.authKID(), claimsFor(s.admin.id, "ADMIN"))
		}, createGenre, noVars, bff.CodeUnauthenticated, "algorithm does not match"},
		{"wrong issuer", trustedToken(func(c *tokenClaims) { c.issuer = "https://evil.example" }), createGenre, noVars, bff.CodeUnauthenticated, "invalid access token"},
		{"wrong audience", trustedToken(func(c *tokenClaims) { c.audience = "another-app" }), createGenre, noVars, bff.CodeUnauthenticated, "invalid access token"},
		{"unknown role claim", trustedToken(func(c *tokenClaims) { c.role = "SUPERUSER" }), createGenre, noVars, bff.CodeUnauthenticated, "no valid role"},
		{"not a bearer token", func(*testing.T, *stack) string { return "Basic YWRtaW46YWRtaW4=" }, createGenre, noVars, bff.CodeUnauthenticated, "Bearer"},
		{"garbage token", func(*testing.T, *stack) string { return "abc.def.ghi" }, createGenre, noVars, bff.CodeUnauthenticated, ""},
		// Roles.
		{"viewer calls an admin mutation", asViewer, createGenre, noVars, bff.CodeForbidden, ""},
		{"viewer promotes themselves", asViewer, `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }`, func(s *stack) map[string]any { return map[string]any{"id": s.viewer.id} }, bff.CodeForbidden, ""},
		{"viewer lists users", asViewer, `{ users { totalCount } }`, noVars, bff.CodeForbidden, ""},
		// Limits.
		{"over the complexity limit", asNobody, `{ videos(first: 100) { edges { node { categories { id name } genres { id name } cast { id name } } } } }`, noVars, bff.CodeComplexityLimit, ""},
		{"mutation over the complexity limit", asAdmin, `mutation { createGenre(name: "Bulk") { videos(first: 100) { edges { node { categories { id name } genres { id name } } } } } }`, noVars, bff.CodeComplexityLimit, ""},
		{"mutations over the alias limit", asAdmin, "mutation { " + aliased(101, `createGenre(name: "Bulk") { id }`) + "}", noVars, bff.CodeAliasLimit, ""},
		{"over the depth limit", asNobody, "{ " + nested(3, "id") + " }", noVars, bff.CodeDepthLimit, ""},
		{"mutation over the depth limit", asAdmin, `mutation($id: ID!) { updateVideo(id: $id, input: {title: "Deep"}) { ` + nested(3, "id") + ` } }`, video, bff.CodeDepthLimit, ""},
	}
}

// trustedToken signs with the stack's test key, which the BFF trusts, so
// only the changed claim can be what refuses it.
func trustedToken(change func(*tokenClaims)) func(t *testing.T, s *stack) string {
	return func(t *testing.T, s *stack) string {
		c := claimsFor(s.admin.id, "ADMIN")
		change(&c)
		return s.testKey.sign(t, c)
	}
}

// TestBadInput sends refused requests: each gets the right code and leaves
// users, videos, taxonomy, the viewer's role and tags as they were.
func TestBadInput(t *testing.T) {
	s := newStack(t, stackOptions{})
	for _, tc := range badCases() {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]any{"n": s.genreName(t, s.fixture.genre)}
			if tc.vars != nil {
				vars = tc.vars(s)
			}
			token := tc.token(t, s)
			before := s.snapshot(t)
			res := s.do(t, token, tc.query, vars)
			require.Equal(t, tc.code, res.code(), res.String())
			assert.Contains(t, res.Errors[0].Message, tc.msg)
			assert.Equal(t, before, s.snapshot(t), "nothing changed")
		})
	}
}

// TestTrustedTestKeyWorks is the control for the token cases above: the
// same kind of token with correct claims is accepted.
func TestTrustedTestKeyWorks(t *testing.T) {
	s := newStack(t, stackOptions{})
	token := trustedToken(func(*tokenClaims) {})(t, s)
	res := s.do(t, token, `{ users(first: 1) { totalCount } }`, nil)
	require.Empty(t, res.Errors, res.String())
}
