package bff_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/graph"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

const (
	anon   = "anonymous"
	viewer = "viewer"
	admin  = "admin"
	ok     = ""
)

var roles = []string{anon, viewer, admin}

// authzCase is one schema field exercised as each kind of caller.
type authzCase struct {
	field string // "Query.me"
	query string
	// setup returns the token to send as role (default: the fixture's) and
	// the variables; it makes fresh entities when the operation consumes them.
	setup func(t *testing.T, s *stack, role string) (token string, vars map[string]any)
	want  map[string]string // role -> extensions.code, ok for success
}

var (
	public     = map[string]string{anon: ok, viewer: ok, admin: ok}
	signedIn   = map[string]string{anon: bff.CodeUnauthenticated, viewer: ok, admin: ok}
	adminsOnly = map[string]string{anon: bff.CodeUnauthenticated, viewer: bff.CodeForbidden, admin: ok}
)

func (s *stack) tokenFor(role string) string {
	switch role {
	case viewer:
		return s.viewer.token
	case admin:
		return s.admin.token
	}
	return ""
}

// withVars is a setup that sends the role's fixture token and vars.
func withVars(vars func(t *testing.T, s *stack) map[string]any) func(*testing.T, *stack, string) (string, map[string]any) {
	return func(t *testing.T, s *stack, role string) (string, map[string]any) {
		return s.tokenFor(role), vars(t, s)
	}
}

func idVar(make func(s *stack) string) func(*testing.T, *stack, string) (string, map[string]any) {
	return withVars(func(_ *testing.T, s *stack) map[string]any { return map[string]any{"id": make(s)} })
}

// freshMember returns a setup that makes a new user of the role, subscribed
// to the fixture plan (and canceled) as asked, with the plan id as $p.
func freshMember(subscribed, canceled bool) func(*testing.T, *stack, string) (string, map[string]any) {
	return func(t *testing.T, s *stack, role string) (string, map[string]any) {
		vars := map[string]any{"p": s.fixture.plan, "c": map[string]any{"number": testCard.Number, "expMonth": 12, "expYear": 2040, "cvc": "123"}}
		email := strings.ReplaceAll(unique("member"+role), " ", "") + "@dflix.test"
		var who session
		switch role {
		case viewer:
			who = s.register(email)
		case admin:
			who = s.ensureAdmin(email)
		default:
			return "", vars
		}
		c := platform.Caller{UserID: who.id, Role: platform.RoleViewer}
		if role == admin {
			c.Role = platform.RoleAdmin
		}
		if subscribed {
			s.subscribe(c, s.fixture.plan)
		}
		if canceled {
			_, err := s.billing.Cancel(context.Background(), subscription.CancelRequest{Caller: c})
			require.NoError(t, err)
		}
		return who.token, vars
	}
}

func authzCases() []authzCase {
	fixtureVideo := idVar(func(s *stack) string { return s.fixture.video })
	freshVideo := idVar(func(s *stack) string { return s.newVideo(unique("Fresh"), true) })
	freshDraft := idVar(func(s *stack) string { return s.newVideo(unique("Draft"), false) })
	freshCategory := idVar(func(s *stack) string { return s.newCategory() })
	freshGenre := idVar(func(s *stack) string { return s.newGenre() })
	freshCast := idVar(func(s *stack) string { return s.newCast(catalog.CastActor) })
	freshUser := idVar(func(s *stack) string {
		return s.register(strings.ReplaceAll(unique("user"), " ", "") + "@dflix.test").id
	})
	freshRefresh := withVars(func(_ *testing.T, s *stack) map[string]any { return map[string]any{"r": s.login(viewerEmail).refresh} })
	name := withVars(func(*testing.T, *stack) map[string]any { return map[string]any{"name": unique("Name")} })

	return []authzCase{
		{"Query.me", `{ me { id email displayName role createdAt } }`, nil, signedIn},
		{"Query.video", `query($id: ID!) { video(id: $id) { id title categories { name } genres { name } cast { name type } myTags } }`, fixtureVideo, public},
		{"Query.videos", `{ videos(first: 5) { totalCount edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } }`, nil, public},
		{"Query.search", `{ search(query: "fixture") { totalCount edges { node { id } } facets { categories { category { name } count } genres { genre { name } count } years { year count } } } }`, nil, public},
		{"Query.videosByName", `{ videosByName(name: "fixture") { id } }`, nil, public},
		{"Query.videosByTags", `{ videosByTags(tags: ["favorite"], matchAll: true) { id } }`, nil, signedIn},
		{"Query.categories", `{ categories { id name videos(first: 2) { totalCount } } }`, nil, public},
		{"Query.genres", `{ genres { id name videos(first: 2) { totalCount } } }`, nil, public},
		{"Query.castMembers", `{ castMembers(type: ACTOR) { id name type } }`, nil, public},
		{"Query.users", `{ users(first: 5) { totalCount edges { cursor node { id email role } } pageInfo { hasNextPage endCursor } } }`, nil, adminsOnly},
		{"Query.deadLetters", deadLettersQuery, nil, adminsOnly},
		{"Query.plans", `{ plans { id name priceMinor currency period trialDays maxResolution maxStreams active } }`, nil, public},
		{"Query.mySubscription", `{ mySubscription { status plan { name } nextPlan { name } paymentMethod { brand last4 } currentPeriodEnd trialEnd nextRetryAt } }`, nil, signedIn},
		{"Query.invoices", `{ invoices(first: 5) { totalCount edges { cursor node { id status amountMinor currency plan { name } } } pageInfo { hasNextPage } } }`, nil, signedIn},
		{"Query.subscriptions", `{ subscriptions(first: 5, filter: {status: ACTIVE}) { totalCount edges { cursor node { userId status plan { name } } } } }`, nil, adminsOnly},
		{"Query.continueWatching", `{ continueWatching(first: 5) { video { id title } positionSeconds finished } }`, nil, signedIn},
		{"Query.watchHistory", `{ watchHistory(first: 5) { totalCount edges { cursor node { video { id } positionSeconds } } } }`, nil, signedIn},
		{"Query.playback", `query($id: ID!) { playback(videoId: $id) { manifestUrl expiresAt renditions { name width height bandwidth codecs downloadSize } } }`, fixtureVideo, signedIn},
		{"Query.download", `query($id: ID!) { download(videoId: $id, rendition: "720p") { url expiresAt filename size } }`, fixtureVideo, signedIn},

		{"Mutation.register", `mutation($input: RegisterInput!) { register(input: $input) { accessToken refreshToken expiresAt user { id email displayName role } } }`,
			withVars(func(*testing.T, *stack) map[string]any {
				email := strings.ReplaceAll(unique("new"), " ", "") + "@dflix.test"
				return map[string]any{"input": map[string]any{"email": email, "password": testPassword, "displayName": "New"}}
			}), public},
		{"Mutation.login", `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id } } }`,
			withVars(func(*testing.T, *stack) map[string]any { return map[string]any{"e": viewerEmail, "p": testPassword} }), public},
		{"Mutation.refreshToken", `mutation($r: String!) { refreshToken(refreshToken: $r) { accessToken refreshToken expiresAt } }`, freshRefresh, public},
		{"Mutation.logout", `mutation($r: String!) { logout(refreshToken: $r) }`, freshRefresh, public},
		{"Mutation.changePassword", `mutation { changePassword(oldPassword: "correct horse battery", newPassword: "another horse battery") }`,
			func(t *testing.T, s *stack, role string) (string, map[string]any) {
				email := strings.ReplaceAll(unique(role), " ", "") + "@dflix.test"
				switch role {
				case viewer:
					return s.register(email).token, nil
				case admin:
					return s.ensureAdmin(email).token, nil
				}
				return "", nil
			}, signedIn},
		{"Mutation.addTags", `mutation($id: ID!) { addTags(videoId: $id, tags: ["favorite"]) }`, fixtureVideo, signedIn},
		{"Mutation.removeTags", `mutation($id: ID!) { removeTags(videoId: $id, tags: ["favorite"]) }`, fixtureVideo, signedIn},

		{"Mutation.createVideo", `mutation($name: String!) { createVideo(input: {title: $name, releaseYear: 2020, durationSeconds: 60, ageRating: PG}) { id status published } }`, name, adminsOnly},
		{"Mutation.updateVideo", `mutation($id: ID!) { updateVideo(id: $id, input: {title: "Renamed"}) { id title } }`, freshVideo, adminsOnly},
		{"Mutation.publishVideo", `mutation($id: ID!) { publishVideo(id: $id) { id published } }`, freshDraft, adminsOnly},
		{"Mutation.unpublishVideo", `mutation($id: ID!) { unpublishVideo(id: $id) { id published } }`, freshVideo, adminsOnly},
		{"Mutation.deleteVideo", `mutation($id: ID!) { deleteVideo(id: $id) }`, freshVideo, adminsOnly},
		{"Mutation.createCategory", `mutation($name: String!) { createCategory(input: {name: $name, description: "d"}) { id name description } }`, name, adminsOnly},
		{"Mutation.updateCategory", `mutation($id: ID!) { updateCategory(id: $id, input: {description: "changed"}) { id description } }`, freshCategory, adminsOnly},
		{"Mutation.deleteCategory", `mutation($id: ID!) { deleteCategory(id: $id) }`, freshCategory, adminsOnly},
		{"Mutation.createGenre", `mutation($name: String!) { createGenre(name: $name) { id name } }`, name, adminsOnly},
		{"Mutation.updateGenre", `mutation($id: ID!) { updateGenre(id: $id, name: "Renamed genre") { id name } }`, freshGenre, adminsOnly},
		{"Mutation.deleteGenre", `mutation($id: ID!) { deleteGenre(id: $id) }`, freshGenre, adminsOnly},
		{"Mutation.createCastMember", `mutation($name: String!) { createCastMember(input: {name: $name, type: DIRECTOR}) { id name type } }`, name, adminsOnly},
		{"Mutation.updateCastMember", `mutation($id: ID!) { updateCastMember(id: $id, input: {type: DIRECTOR}) { id type } }`, freshCast, adminsOnly},
		{"Mutation.deleteCastMember", `mutation($id: ID!) { deleteCastMember(id: $id) }`, freshCast, adminsOnly},
		{"Mutation.setUserRole", `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id role } }`, freshUser, adminsOnly},
		{"Mutation.deleteUser", `mutation($id: ID!) { deleteUser(userId: $id) }`, freshUser, adminsOnly},
		{"Mutation.rotateSigningKey", `mutation { rotateSigningKey { kid activeAt published } }`, nil, adminsOnly},
		{"Mutation.rotateMediaSigningKey", `mutation { rotateMediaSigningKey { kid activeAt keys } }`, nil, adminsOnly},
		{"Mutation.redriveDeadLetter", redriveMutation, freshDeadLetter, adminsOnly},
		{"Mutation.subscribe", `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status paymentMethod { last4 } } }`, freshMember(false, false), signedIn},
		{"Mutation.changePlan", `mutation($p: ID!) { changePlan(planId: $p) { status nextPlan { id } } }`,
			func(t *testing.T, s *stack, role string) (string, map[string]any) {
				token, _ := freshMember(true, false)(t, s, role)
				return token, map[string]any{"p": s.newPlan("Other plan", 720, 1)}
			}, signedIn},
		{"Mutation.cancelSubscription", `mutation { cancelSubscription { status } }`, freshMember(true, false), signedIn},
		{"Mutation.resumeSubscription", `mutation { resumeSubscription { status } }`, freshMember(true, true), signedIn},
		{"Mutation.recordProgress", `mutation($id: ID!) { recordProgress(videoId: $id, positionSeconds: 42) { positionSeconds finished video { id } } }`, fixtureVideo, signedIn},
		{"Mutation.createPlan", `mutation($name: String!) { createPlan(input: {name: $name, priceMinor: 500, maxResolution: 720, maxStreams: 1}) { id name active } }`, name, adminsOnly},
		{"Mutation.updatePlan", `mutation($id: ID!) { updatePlan(id: $id, input: {name: "Renamed plan", priceMinor: 600, maxResolution: 720, maxStreams: 2}) { id maxStreams } }`,
			idVar(func(s *stack) string { return s.newPlan("Plan to update", 720, 1) }), adminsOnly},
		{"Mutation.deactivatePlan", `mutation($id: ID!) { deactivatePlan(id: $id) { id active } }`,
			idVar(func(s *stack) string { return s.newPlan("Plan to deactivate", 720, 1) }), adminsOnly},
		{"Mutation.createUpload", `mutation($id: ID!) { createUpload(videoId: $id, filename: "movie.mp4", size: 1000) { id url expiresAt } }`, fixtureVideo, adminsOnly},

		// Subscriptions run over the websocket.
		{"Subscription.encodingProgress", `subscription($id: ID!) { encodingProgress(videoId: $id) { videoId mediaId status percent } }`, fixtureVideo, adminsOnly},
	}
}

// TestAuthorizationTable runs every Query, Mutation and Subscription field
// as an anonymous caller, a viewer and an admin over the real services, and
// checks the outcome: success or the exact extensions.code.
func TestAuthorizationTable(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	for _, tc := range authzCases() {
		for _, role := range roles {
			t.Run(tc.field+"/"+role, func(t *testing.T) {
				token, vars := s.tokenFor(role), map[string]any(nil)
				if tc.setup != nil {
					token, vars = tc.setup(t, s, role)
				}
				var res gqlResult
				if strings.HasPrefix(tc.field, "Subscription.") {
					res = s.subscribeOnce(t, token, tc.query, vars)
				} else {
					res = s.do(t, token, tc.query, vars)
				}
				want := tc.want[role]
				require.Equal(t, want, res.code(), res.String())
				field := tc.field[strings.IndexByte(tc.field, '.')+1:]
				if want == ok {
					assert.NotEqual(t, "null", string(res.Data[field]), "field %s has data", field)
				} else {
					assert.Len(t, res.Errors, 1)
					assert.Equal(t, "null", orNull(res.Data[field]), "a refused field has no data")
				}
			})
		}
	}
}

func orNull(raw []byte) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

// TestAuthorizationTableCoversSchema fails when a Query, Mutation or
// Subscription field has no row in the authorization table (or a row names
// no field).
func TestAuthorizationTableCoversSchema(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	inSchema := map[string]bool{}
	for _, def := range []struct {
		name   string
		fields []string
	}{
		{"Query", fieldNames(schema.Query.Fields)},
		{"Mutation", fieldNames(schema.Mutation.Fields)},
		{"Subscription", fieldNames(schema.Subscription.Fields)},
	} {
		for _, f := range def.fields {
			inSchema[def.name+"."+f] = true
		}
	}
	inTable := map[string]bool{}
	for _, tc := range authzCases() {
		assert.False(t, inTable[tc.field], "%s has two rows", tc.field)
		inTable[tc.field] = true
		assert.True(t, inSchema[tc.field], "row %s names no schema field", tc.field)
		for _, role := range roles {
			_, ok := tc.want[role]
			assert.True(t, ok, "%s has no expectation for %s", tc.field, role)
		}
	}
	for f := range inSchema {
		assert.True(t, inTable[f], "schema field %s has no row in the authorization table", f)
	}
}

// fieldNames lists a type's fields, leaving out introspection.
func fieldNames(list ast.FieldList) []string {
	var names []string
	for _, f := range list {
		if !strings.HasPrefix(f.Name, "__") {
			names = append(names, f.Name)
		}
	}
	return names
}

// subscribeOnce runs a subscription over the websocket (anonymous without
// a token) and returns its first result: the first event, or the error
// that refused it.
func (s *stack) subscribeOnce(t *testing.T, token, query string, vars map[string]any) gqlResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := dialGraphQL(t, s, "")
	require.NoError(t, err)
	defer c.CloseNow()
	init := map[string]any{}
	if token != "" {
		init["Authorization"] = "Bearer " + token
	}
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": init}))
	require.Equal(t, "connection_ack", read(t, ctx, c).Type)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{"query": query, "variables": vars}}))
	m := read(t, ctx, c)
	var res gqlResult
	switch m.Type {
	case "next":
		require.NoError(t, json.Unmarshal(m.Payload, &res))
	case "error":
		require.NoError(t, json.Unmarshal(m.Payload, &res.Errors))
	default:
		t.Fatalf("unexpected %s message: %s", m.Type, m.Payload)
	}
	return res
}
