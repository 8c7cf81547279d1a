package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replicaBFFs are where dapr/replicas.yaml puts the two BFF replicas: bff
// calls catalog (replica 1), bff-2 calls catalog-2.
var replicaBFFs = [2]string{"http://127.0.0.1:9080", "http://127.0.0.1:9081"}

// catalogMetrics are the metrics endpoints of the sidecars of catalog and
// catalog-2 in dapr/replicas.yaml.
var catalogMetrics = [2]string{"http://127.0.0.1:19193/metrics", "http://127.0.0.1:19194/metrics"}

// replicaSets are the component sets with consumer groups, which replicas
// need: on mqtt-sqlite two replicas of an app share an MQTT client id and
// throw each other off the broker (components/README.md).
var replicaSets = []string{"redis", "rabbitmq-postgres"}

const (
	// replicaLag is how soon a change made through one BFF must show
	// through the other (the acceptance).
	replicaLag = time.Second
	// observeFor is how long a poll keeps watching, past replicaLag, so a
	// failure reports the lag it measured.
	observeFor = 10 * time.Second
	pollEvery  = 20 * time.Millisecond
)

// TestDaprReplicas runs two BFF and two catalog replicas and one auth,
// each beside its own daprd (dapr/replicas.yaml), and checks that they stay
// in step through events: a video created through one BFF is found by search
// through the other, a rename shows through the other BFF's cache, and a
// revoked token is refused by both, each within a second.
func TestDaprReplicas(t *testing.T) {
	root := daprBinaries(t)
	for _, set := range replicaSets {
		t.Run(set, func(t *testing.T) {
			startReplicas(t, root, set)
			suffix := fmt.Sprintf("%s-%d", set, time.Now().UnixNano())
			r := newReplicaRun(t, suffix)
			t.Cleanup(func() { r.deleteVideo(t) }) // before daprrun stops
			t.Run("pairing", r.eachBFFCallsItsOwnCatalog)
			t.Run("search", r.searchThroughTheOtherBFF)
			t.Run("cache", r.renameThroughTheOtherBFFsCache)
			t.Run("revocation", r.revokedTokenRefusedByBoth)
		})
	}
}

// startReplicas starts dapr/replicas.yaml on one component set and waits
// until daprrun is ready (every sidecar healthy, subscriptions loaded) and
// both BFFs serve the seeded catalog.
func startReplicas(t *testing.T, root, set string) {
	t.Helper()
	startRun(t, root, "dapr/replicas.yaml", set, func(logs string) bool {
		return strings.Contains(logs, "| ready: ") && seededAt(replicaBFFs[0]) && seededAt(replicaBFFs[1])
	}, "-log-dir", t.TempDir())
}

// seededAt reports whether the BFF at baseURL is ready and its catalog
// replica serves the demo catalog.
func seededAt(baseURL string) bool {
	resp, err := http.Get(baseURL + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	var out struct{ Videos connection }
	r, err := newClient(baseURL).do(`{ videos(first: 1) { totalCount } }`, nil)
	return err == nil && len(r.Errors) == 0 && mustDecode(r, &out) == nil && out.Videos.TotalCount >= 36
}

// replicaRun holds the clients of one run: the admin on BFF 1, a viewer's
// token, and a unique word for titles.
type replicaRun struct {
	bff      [2]*client
	admin    *client // on BFF 1
	viewer   authPayload
	email    string
	password string
	word     string
	videoID  string
}

func newReplicaRun(t *testing.T, suffix string) *replicaRun {
	t.Helper()
	r := &replicaRun{
		bff:   [2]*client{newClient(replicaBFFs[0]), newClient(replicaBFFs[1])},
		email: "replica-" + suffix + "@example.com", password: "replica password 1",
		word: letters(time.Now().UnixNano()),
	}
	r.admin = r.bff[0].withToken(login(t, r.bff[0], adminEmail, adminPassword))
	var reg struct{ Register authPayload }
	r.bff[0].must(t, `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p, displayName: "R"}) { `+authFields+` } }`,
		map[string]any{"e": r.email, "p": r.password}, &reg)
	r.viewer = reg.Register
	return r
}

// letters spells n in base 26 with a-z: a word that no other title holds
// and that every analyzer keeps whole.
func letters(n int64) string {
	var b []byte
	for ; n > 0; n /= 26 {
		b = append(b, byte('a'+n%26))
	}
	return "zq" + string(b)
}

// eachBFFCallsItsOwnCatalog checks that invocation is paired, so that the
// other checks cross replicas: searches through bff reach catalog alone,
// searches through bff-2 catalog-2 alone, as their sidecars count them.
func (r *replicaRun) eachBFFCallsItsOwnCatalog(t *testing.T) {
	const n = 5
	for i, c := range r.bff {
		before := [2]int{invocationsFromBFF(t, catalogMetrics[0]), invocationsFromBFF(t, catalogMetrics[1])}
		for range n {
			c.must(t, `{ search(query: "orbit", first: 1) { totalCount } }`, nil, nil)
		}
		pollUntil(t, time.Now(), func() bool { return invocationsFromBFF(t, catalogMetrics[i])-before[i] >= n })
		other := 1 - i
		assert.Equal(t, before[other], invocationsFromBFF(t, catalogMetrics[other]),
			"BFF %d's calls reach catalog replica %d only", i+1, i+1)
	}
}

// invocationsFromBFF reads how many service invocation requests from the
// app id bff a sidecar has received, from its Prometheus metrics.
func invocationsFromBFF(t *testing.T, metricsURL string) int {
	t.Helper()
	resp, err := http.Get(metricsURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	total := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "dapr_runtime_service_invocation_req_recv_total{") || !strings.Contains(line, `src_app_id="bff"`) {
			continue
		}
		var v float64
		_, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v)
		require.NoError(t, err, line)
		total += v
	}
	require.NoError(t, sc.Err())
	return int(total)
}

// searchThroughTheOtherBFF creates a video through BFF 1 and finds it by
// search through BFF 2 (so through catalog-2, whose search index only
// learns of it from the catalog topic): as a draft for the admin, then,
// once published, for a viewer.
func (r *replicaRun) searchThroughTheOtherBFF(t *testing.T) {
	var created struct{ CreateVideo videoNode }
	r.admin.must(t, `mutation($t: String!) { createVideo(input: {title: $t, description: "Made on one replica, found on the other.", releaseYear: 2024, durationSeconds: 60, ageRating: PG}) { id title } }`,
		map[string]any{"t": "Replica " + r.word}, &created)
	r.videoID = created.CreateVideo.ID
	draft := pollUntil(t, time.Now(), func() bool { return r.found(t, r.bff[1].withToken(r.admin.token)) })
	t.Logf("created through bff, found by the admin's search through bff-2 after %s", draft)

	r.admin.must(t, `mutation($id: ID!) { publishVideo(id: $id) { id } }`, map[string]any{"id": r.videoID}, nil)
	published := pollUntil(t, time.Now(), func() bool { return r.found(t, r.bff[1].withToken(r.viewer.AccessToken)) })
	t.Logf("published through bff, found by a viewer's search through bff-2 after %s", published)
	assert.Less(t, draft, replicaLag, "created video found through the other BFF")
	assert.Less(t, published, replicaLag, "published video found through the other BFF")
}

// found reports whether a search for the run's word through c finds the
// run's video.
func (r *replicaRun) found(t *testing.T, c *client) bool {
	t.Helper()
	var out struct{ Search connection }
	c.must(t, `query($q: String!) { search(query: $q, first: 5) { edges { node { id } } } }`, map[string]any{"q": r.word}, &out)
	for _, e := range out.Search.Edges {
		if e.Node.ID == r.videoID {
			return true
		}
	}
	return false
}

// renameThroughTheOtherBFFsCache reads the published video through BFF 2,
// checks that further reads come from BFF 2's cache (they no longer reach
// catalog-2), renames it through BFF 1, and waits for BFF 2 to show the new title: the
// catalog event dropped BFF 2's entry long before its 30s TTL.
func (r *replicaRun) renameThroughTheOtherBFFsCache(t *testing.T) {
	require.NotEmpty(t, r.videoID, "the search step created the video")
	viewer := r.bff[1].withToken(r.viewer.AccessToken)
	assert.Equal(t, "Replica "+r.word, r.title(t, viewer))
	before := invocationsFromBFF(t, catalogMetrics[1])
	for range 3 {
		assert.Equal(t, "Replica "+r.word, r.title(t, viewer))
	}
	// A search is never cached: once catalog-2's sidecar has counted it, it
	// has counted every call before it.
	r.bff[1].must(t, `{ search(query: "orbit", first: 1) { totalCount } }`, nil, nil)
	pollUntil(t, time.Now(), func() bool { return invocationsFromBFF(t, catalogMetrics[1]) > before })
	require.Equal(t, before+1, invocationsFromBFF(t, catalogMetrics[1]), "bff-2 serves the video from its cache")
	renamed := "Renamed " + r.word
	r.admin.must(t, `mutation($id: ID!, $t: String!) { updateVideo(id: $id, input: {title: $t}) { id } }`,
		map[string]any{"id": r.videoID, "t": renamed}, nil)
	lag := pollUntil(t, time.Now(), func() bool { return r.title(t, viewer) == renamed })
	t.Logf("renamed through bff, new title through bff-2's cache after %s", lag)
	assert.Less(t, lag, replicaLag, "rename shown through the other BFF's cache")

	r.deleteVideo(t)
	gone := pollUntil(t, time.Now(), func() bool { return !r.found(t, r.bff[1].withToken(r.admin.token)) })
	t.Logf("deleted through bff, gone from bff-2's search after %s", gone)
	assert.Less(t, gone, replicaLag, "deleted video gone from the other BFF's search")
}

// title reads the run's video's title through c.
func (r *replicaRun) title(t *testing.T, c *client) string {
	t.Helper()
	var out struct{ Video videoNode }
	c.must(t, `query($id: ID!) { video(id: $id) { id title } }`, map[string]any{"id": r.videoID}, &out)
	return out.Video.Title
}

// deleteVideo deletes the run's video through BFF 1, once: the catalog
// state outlives the run, and other runs count the published videos.
func (r *replicaRun) deleteVideo(t *testing.T) {
	if r.videoID == "" {
		return
	}
	resp, err := r.admin.do(`mutation($id: ID!) { deleteVideo(id: $id) }`, map[string]any{"id": r.videoID})
	if err != nil || len(resp.Errors) > 0 {
		t.Errorf("delete video %s: %v %v", r.videoID, err, resp.Errors)
	}
	r.videoID = ""
}

// revokedTokenRefusedByBoth checks that the viewer's token works on both
// BFFs, changes the password through BFF 1 (which revokes every session of
// the user: user.tokens-revoked on the users topic), and waits for both
// BFFs to refuse the old token.
func (r *replicaRun) revokedTokenRefusedByBoth(t *testing.T) {
	old := r.viewer.AccessToken
	for _, c := range r.bff {
		var me struct{ Me struct{ ID string } }
		c.withToken(old).must(t, `{ me { id } }`, nil, &me)
		require.Equal(t, r.viewer.User.ID, me.Me.ID)
	}
	// A revocation refuses tokens issued before its whole second (like iat):
	// wait for the clock to leave the token's second.
	time.Sleep(time.Until(issuedAt(t, old).Add(time.Second + 10*time.Millisecond)))

	r.bff[0].withToken(old).must(t, `mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }`,
		map[string]any{"o": r.password, "n": r.password + "!"}, nil)
	acked := time.Now()
	for i, c := range r.bff {
		lag := pollUntil(t, acked, func() bool { return refused(t, c.withToken(old)) })
		t.Logf("password changed through bff, old token refused by bff %d after %s", i+1, lag)
		assert.Less(t, lag, replicaLag, "old token refused by BFF %d", i+1)
	}
	fresh := login(t, r.bff[1], r.email, r.password+"!")
	r.bff[1].withToken(fresh).must(t, `{ me { id } }`, nil, nil)
}

// refused reports whether c's token is refused as revoked
// (UNAUTHENTICATED); the BFF learns of revocations only from the users
// topic.
func refused(t *testing.T, c *client) bool {
	t.Helper()
	resp, err := c.do(`{ me { id } }`, nil)
	require.NoError(t, err)
	if len(resp.Errors) == 0 {
		return false
	}
	require.Equal(t, "UNAUTHENTICATED", resp.Errors[0].Code(), resp.Errors[0].Message)
	require.Contains(t, resp.Errors[0].Message, "revoked")
	return true
}

// issuedAt reads the iat claim of a JWT without verifying it.
func issuedAt(t *testing.T, token string) time.Time {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3, "a JWT")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims struct {
		IAT int64 `json:"iat"`
	}
	require.NoError(t, json.Unmarshal(payload, &claims))
	return time.Unix(claims.IAT, 0)
}

// pollUntil calls cond every pollEvery until it holds and returns the time
// since start, failing the test when it does not hold within observeFor.
func pollUntil(t *testing.T, start time.Time, cond func() bool) time.Duration {
	t.Helper()
	for {
		if cond() {
			return time.Since(start)
		}
		if time.Since(start) > observeFor {
			t.Fatalf("not within %s", observeFor)
		}
		time.Sleep(pollEvery) // the poll interval
	}
}
