package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type authPayload struct {
	AccessToken  string `json:"accessToken"`
	RefreshToken string `json:"refreshToken"`
	User         struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	} `json:"user"`
}

type videoNode struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	Categories []struct {
		Name string `json:"name"`
	} `json:"categories"`
	Cast []struct {
		Name string `json:"name"`
	} `json:"cast"`
	MyTags []string `json:"myTags"`
}

type connection struct {
	TotalCount int `json:"totalCount"`
	Edges      []struct {
		Cursor string    `json:"cursor"`
		Node   videoNode `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage bool   `json:"hasNextPage"`
		EndCursor   string `json:"endCursor"`
	} `json:"pageInfo"`
}

const authFields = `accessToken refreshToken expiresAt user { id email displayName role }`

// TestViewerSession is the foundation scenario a user performs with curl:
// register, log in, browse, search, tag, and search by tag, on the demo
// catalog of a freshly started binary.
func TestViewerSession(t *testing.T) {
	in := start(t, t.TempDir(), "--seed-demo")
	viewerScenario(t, in.URL, "")
	billingScenario(t, in.URL, mediaScenario(t, in.URL))
}

// viewerScenario is the session every deployment shape must pass. suffix
// makes its accounts unique where the stores outlive one run.
func viewerScenario(t *testing.T, baseURL, suffix string) {
	anon := newClient(baseURL)
	email, otherEmail := "Viewer"+suffix+"@Example.com", "other"+suffix+"@example.com"

	var reg struct{ Register authPayload }
	anon.must(t, `mutation($in: RegisterInput!) { register(input: $in) { `+authFields+` } }`,
		map[string]any{"in": map[string]any{"email": email, "password": "correct horse battery", "displayName": "Vi"}}, &reg)
	require.NotEmpty(t, reg.Register.AccessToken)
	assert.Equal(t, "VIEWER", reg.Register.User.Role)

	var login struct{ Login authPayload }
	anon.must(t, `mutation($e: String!) { login(email: $e, password: "correct horse battery") { `+authFields+` } }`,
		map[string]any{"e": strings.ToLower(email)}, &login)
	me := anon.withToken(login.Login.AccessToken)

	var browse struct{ Videos connection }
	me.must(t, `{ videos(first: 20) { totalCount edges { cursor node { id title categories { name } cast { name } } } pageInfo { hasNextPage endCursor } } }`, nil, &browse)
	assert.Equal(t, 36, browse.Videos.TotalCount)
	require.Len(t, browse.Videos.Edges, 20)
	assert.True(t, browse.Videos.PageInfo.HasNextPage)
	for _, e := range browse.Videos.Edges {
		assert.NotEmpty(t, e.Node.Categories, e.Node.Title)
		assert.NotEmpty(t, e.Node.Cast, e.Node.Title)
	}
	var page2 struct{ Videos connection }
	me.must(t, `query($after: String) { videos(first: 20, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`,
		map[string]any{"after": browse.Videos.PageInfo.EndCursor}, &page2)
	assert.Len(t, page2.Videos.Edges, 16)
	assert.False(t, page2.Videos.PageInfo.HasNextPage)

	var found struct{ Search connection }
	me.must(t, `{ search(query: "intersteller drift", first: 5) { totalCount edges { node { id title } } } }`, nil, &found)
	require.NotEmpty(t, found.Search.Edges, "typo-tolerant search finds the title")
	assert.Equal(t, "Interstellar Drift", found.Search.Edges[0].Node.Title)
	videoID := found.Search.Edges[0].Node.ID

	var tagged struct{ AddTags []string }
	me.must(t, `mutation($id: ID!) { addTags(videoId: $id, tags: ["Watch Later", "space"]) }`, map[string]any{"id": videoID}, &tagged)
	assert.ElementsMatch(t, []string{"watch later", "space"}, tagged.AddTags)

	var byTag struct{ VideosByTags []videoNode }
	me.must(t, `{ videosByTags(tags: ["watch later"]) { id title myTags } }`, nil, &byTag)
	require.Len(t, byTag.VideosByTags, 1)
	assert.Equal(t, videoID, byTag.VideosByTags[0].ID)
	assert.ElementsMatch(t, []string{"watch later", "space"}, byTag.VideosByTags[0].MyTags)

	var byAll struct{ VideosByTags []videoNode }
	me.must(t, `{ videosByTags(tags: ["watch later", "nope"], matchAll: true) { id } }`, nil, &byAll)
	assert.Empty(t, byAll.VideosByTags)

	// Another viewer never sees someone else's tags.
	var other struct{ Register authPayload }
	anon.must(t, `mutation($e: String!) { register(input: {email: $e, password: "another secret 1", displayName: "O"}) { `+authFields+` } }`,
		map[string]any{"e": otherEmail}, &other)
	var otherTags struct{ VideosByTags []videoNode }
	anon.withToken(other.Register.AccessToken).must(t, `{ videosByTags(tags: ["watch later"]) { id } }`, nil, &otherTags)
	assert.Empty(t, otherTags.VideosByTags)

	var byName struct{ VideosByName []videoNode }
	me.must(t, `{ videosByName(name: "ORBIT") { title } }`, nil, &byName)
	require.Len(t, byName.VideosByName, 1)
	assert.Equal(t, "The Long Orbit", byName.VideosByName[0].Title)
}

// TestSeedIsIdempotent restarts with --seed-demo on the same data and finds
// the demo catalog once, not twice.
func TestSeedIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	first := start(t, dir, "--seed-demo")
	first.stop()
	second := start(t, dir, "--seed-demo")
	var browse struct{ Videos connection }
	newClient(second.URL).must(t, `{ videos(first: 1) { totalCount } }`, nil, &browse)
	assert.Equal(t, 36, browse.Videos.TotalCount)
	var cats struct {
		Categories []struct{ Name string } `json:"categories"`
	}
	newClient(second.URL).must(t, `{ categories { name } }`, nil, &cats)
	assert.Len(t, cats.Categories, 4)
}
