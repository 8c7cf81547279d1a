package bff_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/platform"
)

// twoViewers is the stack with viewers A and B, each subscribed to the
// fixture plan.
type twoViewers struct {
	*stack
	a, b session
}

func newTwoViewers(t *testing.T) twoViewers {
	t.Helper()
	s := newStack(t, stackOptions{})
	v := twoViewers{stack: s}
	for _, who := range []*session{&v.a, &v.b} {
		*who = s.register(strings.ReplaceAll(unique("objviewer"), " ", "") + "@dflix.test")
		s.subscribe(platform.Caller{UserID: who.id, Role: platform.RoleViewer}, s.fixture.plan)
	}
	return v
}

// must runs an operation that has to succeed and decodes its data.
func (v twoViewers) must(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	res := v.do(t, token, query, vars)
	require.Empty(t, res.Errors, res.String())
	if out != nil {
		res.decode(t, out)
	}
}

func (v twoViewers) myTags(t *testing.T, token string) []string {
	t.Helper()
	var out struct{ Video struct{ MyTags []string } }
	v.must(t, token, `query($id: ID!) { video(id: $id) { myTags } }`, map[string]any{"id": v.fixture.video}, &out)
	return out.Video.MyTags
}

// TestTagsAreTheirOwners: B never sees, finds by, or removes A's tags.
func TestTagsAreTheirOwners(t *testing.T) {
	v := newTwoViewers(t)
	video := map[string]any{"id": v.fixture.video}
	v.must(t, v.a.token, `mutation($id: ID!) { addTags(videoId: $id, tags: ["a-secret"]) }`, video, nil)
	require.Equal(t, []string{"a-secret"}, v.myTags(t, v.a.token))

	assert.Empty(t, v.myTags(t, v.b.token), "Video.myTags is the caller's")
	var byTags struct{ VideosByTags []struct{ ID string } }
	v.must(t, v.b.token, `{ videosByTags(tags: ["a-secret"]) { id } }`, nil, &byTags)
	assert.Empty(t, byTags.VideosByTags, "B finds nothing by A's tag")
	v.must(t, v.a.token, `{ videosByTags(tags: ["a-secret"]) { id } }`, nil, &byTags)
	assert.Len(t, byTags.VideosByTags, 1, "the control: A does")

	res := v.do(t, v.b.token, `{ videos(first: 50) { edges { node { id myTags } } } search(query: "a-secret") { totalCount } }`, nil)
	require.Empty(t, res.Errors, res.String())
	assert.NotContains(t, string(res.Data["videos"]), "a-secret", "nor in a listing")
	assert.JSONEq(t, `{"totalCount":0}`, string(res.Data["search"]), "nor by search")

	var removed struct{ RemoveTags []string }
	v.must(t, v.b.token, `mutation($id: ID!) { removeTags(videoId: $id, tags: ["a-secret"]) }`, video, &removed)
	assert.Empty(t, removed.RemoveTags)
	v.must(t, v.b.token, `mutation($id: ID!) { addTags(videoId: $id, tags: ["b-tag"]) }`, video, nil)
	assert.Equal(t, []string{"a-secret"}, v.myTags(t, v.a.token), "B's changes leave A's tags as they were")
	assert.Equal(t, []string{"b-tag"}, v.myTags(t, v.b.token))

	res = v.do(t, v.b.token, `mutation($id: ID!) { addTags(videoId: $id, tags: ["x"]) }`, map[string]any{"id": v.fixture.draft})
	assert.Equal(t, bff.CodeNotFound, res.code(), "a viewer cannot tag a video they cannot see: %s", res.String())
}

// TestProgressIsTheirOwners: B's continue-watching and history hold only
// B's own progress; B's cursor over A's history reads nothing of A's.
func TestProgressIsTheirOwners(t *testing.T) {
	v := newTwoViewers(t)
	record := `mutation($id: ID!, $p: Float!) { recordProgress(videoId: $id, positionSeconds: $p) { positionSeconds } }`
	v.must(t, v.a.token, record, map[string]any{"id": v.fixture.video, "p": 3.5}, nil)

	type history struct {
		ContinueWatching []struct{ PositionSeconds float64 }
		WatchHistory     struct {
			TotalCount int
			Edges      []struct {
				Cursor string
				Node   struct{ PositionSeconds float64 }
			}
		}
	}
	read := `query($after: String) { continueWatching { positionSeconds } watchHistory(after: $after) { totalCount edges { cursor node { positionSeconds } } } }`
	var a, b history
	v.must(t, v.a.token, read, nil, &a)
	require.Len(t, a.ContinueWatching, 1)
	require.Equal(t, 1, a.WatchHistory.TotalCount)
	v.must(t, v.b.token, read, nil, &b)
	assert.Empty(t, b.ContinueWatching, "B sees none of A's progress")
	assert.Zero(t, b.WatchHistory.TotalCount)

	res := v.do(t, v.b.token, read, map[string]any{"after": a.WatchHistory.Edges[0].Cursor})
	assert.NotContains(t, string(res.Data["watchHistory"]), "3.5", "A's cursor opens nothing of A's: %s", res.String())

	v.must(t, v.b.token, record, map[string]any{"id": v.fixture.video, "p": 7.25}, nil)
	v.must(t, v.a.token, read, nil, &a)
	assert.InDelta(t, 3.5, a.WatchHistory.Edges[0].Node.PositionSeconds, 0.001, "B's recordProgress wrote only B's")
	v.must(t, v.b.token, read, nil, &b)
	assert.InDelta(t, 7.25, b.WatchHistory.Edges[0].Node.PositionSeconds, 0.001)
}

type membership struct {
	UserID   string
	Status   string
	NextPlan *struct{ ID string }
}

func (v twoViewers) membership(t *testing.T, token string) membership {
	t.Helper()
	var out struct{ MySubscription membership }
	v.must(t, token, `{ mySubscription { userId status nextPlan { id } } }`, nil, &out)
	return out.MySubscription
}

// TestSubscriptionIsTheirOwn: mySubscription is the caller's, and
// changePlan, cancelSubscription and resumeSubscription change only the
// caller's.
func TestSubscriptionIsTheirOwn(t *testing.T) {
	v := newTwoViewers(t)
	require.Equal(t, membership{UserID: v.a.id, Status: "ACTIVE"}, v.membership(t, v.a.token))
	require.Equal(t, v.b.id, v.membership(t, v.b.token).UserID)

	other := v.newPlan("Other plan", 720, 1)
	var changed struct{ ChangePlan membership }
	v.must(t, v.b.token, `mutation($p: ID!) { changePlan(planId: $p) { userId status nextPlan { id } } }`, map[string]any{"p": other}, &changed)
	assert.Equal(t, v.b.id, changed.ChangePlan.UserID)
	var canceled struct{ CancelSubscription membership }
	v.must(t, v.b.token, `mutation { cancelSubscription { userId status } }`, nil, &canceled)
	assert.Equal(t, membership{UserID: v.b.id, Status: "CANCELED"}, canceled.CancelSubscription)
	assert.Equal(t, membership{UserID: v.a.id, Status: "ACTIVE"}, v.membership(t, v.a.token), "A's subscription is untouched")

	v.must(t, v.a.token, `mutation { cancelSubscription { status } }`, nil, nil)
	v.must(t, v.b.token, `mutation { resumeSubscription { status } }`, nil, nil)
	assert.Equal(t, "CANCELED", v.membership(t, v.a.token).Status, "B's resume leaves A canceled")
	assert.Equal(t, "ACTIVE", v.membership(t, v.b.token).Status)
}

// TestInvoicesAreTheirOwn: each viewer lists only their own invoices, and
// A's cursor opens nothing of A's to B.
func TestInvoicesAreTheirOwn(t *testing.T) {
	v := newTwoViewers(t)
	type invoices struct {
		Invoices struct {
			TotalCount int
			Edges      []struct {
				Cursor string
				Node   struct{ ID string }
			}
		}
	}
	list := `query($after: String) { invoices(after: $after) { totalCount edges { cursor node { id } } } }`
	var a, b invoices
	v.must(t, v.a.token, list, nil, &a)
	v.must(t, v.b.token, list, nil, &b)
	require.Equal(t, 1, a.Invoices.TotalCount, "A paid once")
	require.Equal(t, 1, b.Invoices.TotalCount, "B paid once")
	assert.NotEqual(t, a.Invoices.Edges[0].Node.ID, b.Invoices.Edges[0].Node.ID)

	res := v.do(t, v.b.token, list, map[string]any{"after": a.Invoices.Edges[0].Cursor})
	assert.NotContains(t, string(res.Data["invoices"]), a.Invoices.Edges[0].Node.ID, "A's cursor opens nothing of A's: %s", res.String())
}

// TestAdminFieldsStayRefusedThroughAnyPath: a viewer reaches no admin-only
// field by inline fragment, named fragment, alias or beside allowed
// fields, cannot act on another user by id, and sees no unpublished video
// through nested lists.
func TestAdminFieldsStayRefusedThroughAnyPath(t *testing.T) {
	v := newTwoViewers(t)
	tests := []struct {
		name, query string
		vars        map[string]any
		field       string // the response key refused
	}{
		{"inline fragment", `{ ... on Query { users { totalCount } } }`, nil, "users"},
		{"named fragment", `{ ...Q } fragment Q on Query { subscriptions { edges { node { userId } } } }`, nil, "subscriptions"},
		{"alias beside an allowed field", `{ me { id } everyone: users { edges { node { email } } } }`, nil, "everyone"},
		{"dead letters in a fragment of a fragment", `{ ...A } fragment A on Query { ...B } fragment B on Query { deadLetters { id } }`, nil, "deadLetters"},
		{"promote another user", `mutation($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }`, map[string]any{"id": v.a.id}, "setUserRole"},
		{"delete another user", `mutation($id: ID!) { deleteUser(userId: $id) }`, map[string]any{"id": v.a.id}, "deleteUser"},
		{"after an allowed mutation", `mutation($id: ID!, $v: ID!) { addTags(videoId: $v, tags: ["t"]) setUserRole(userId: $id, role: ADMIN) { id } }`,
			map[string]any{"id": v.b.id, "v": v.fixture.video}, "setUserRole"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, res := doRaw(t, v.stack, v.b.token, tt.query, tt.vars)
			require.NotEmpty(t, res.Errors, raw)
			assert.Equal(t, bff.CodeForbidden, res.code(), raw)
			assert.Equal(t, []any{tt.field}, res.Errors[0].Path)
			assert.Equal(t, "null", orNull(res.Data[tt.field]))
			for _, private := range []string{v.a.email, adminEmail} {
				assert.NotContains(t, raw, private)
			}
		})
	}
	var me struct{ Me struct{ Role string } }
	v.must(t, v.a.token, `{ me { role } }`, nil, &me)
	assert.Equal(t, "VIEWER", me.Me.Role, "A is still a viewer")
	v.must(t, v.b.token, `{ me { role } }`, nil, &me)
	assert.Equal(t, "VIEWER", me.Me.Role, "and so is B")

	drafts := map[string]string{
		"category row":  `{ categories { id videos(first: 20) { edges { node { id } } } } }`,
		"genre row":     `{ genres { videos(first: 20) { edges { node { id } } } } }`,
		"listing":       `{ videos(first: 100) { edges { node { id } } } }`,
		"search":        `{ search(query: "Draft") { edges { node { id } } } }`,
		"search by tag": `{ search(query: "test") { edges { node { id } } } }`,
		"by name":       `{ videosByName(name: "Draft") { id } }`,
	}
	for name, q := range drafts {
		raw, res := doRaw(t, v.stack, v.b.token, q, nil)
		assert.Empty(t, res.Errors, "%s: %s", name, raw)
		assert.NotContains(t, raw, v.fixture.draft, "%s shows a viewer no draft", name)
	}
	raw, _ := doRaw(t, v.stack, v.admin.token, drafts["listing"], nil)
	assert.Contains(t, raw, v.fixture.draft, "the control: an admin sees it")
}
