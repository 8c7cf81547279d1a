package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// audit is what the verification after the kills found: the acknowledged
// mutations whose effect is there, by kind; those whose effect is not; and
// effects found more than once.
type audit struct {
	mu      sync.Mutex
	found   map[string]int
	missing []string
	dups    map[string]int // by what was duplicated: accounts, videos, tags, invoices, history, charges
	notes   []string       // what each duplicate was
	paid    int            // PAID invoices found
}

func (a *audit) ok(kind string, n int) { a.mu.Lock(); a.found[kind] += n; a.mu.Unlock() }

func (a *audit) lost(format string, args ...any) {
	a.mu.Lock()
	a.missing = append(a.missing, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

func (a *audit) dup(what, format string, args ...any) {
	a.mu.Lock()
	a.dups[what]++
	a.notes = append(a.notes, what+": "+fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

// query runs a read that has to succeed and decodes its data into out.
func query(c *client, q string, vars map[string]any, out any) error {
	resp, err := c.do(q, vars)
	switch {
	case err != nil:
		return err
	case len(resp.Errors) > 0:
		return fmt.Errorf("%s: %s", resp.Errors[0].Code(), resp.Errors[0].Message)
	}
	return json.Unmarshal(resp.Data, out)
}

// verify checks every acknowledged write of led against the platform at
// url, and that no effect is there twice.
func verify(t *testing.T, url string, led *ledger) *audit {
	t.Helper()
	a := &audit{found: map[string]int{}, dups: map[string]int{}}
	c := newClient(url)
	admin := c.withToken(login(t, c, adminEmail, adminPassword))
	accs, vids := led.snapshot()

	users := listEmails(t, admin)
	work := make(chan *account)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for acc := range work {
				verifyAccount(a, c, acc)
			}
		})
	}
	for _, acc := range accs {
		if n := users[acc.email]; n > 1 {
			a.dup("accounts", "%s registered %d times", acc.email, n)
		}
		if acc.registered {
			work <- acc
		}
	}
	close(work)
	verifyVideos(t, a, admin, led, vids)
	wg.Wait()
	return a
}

// listEmails counts the accounts by email, over every page of users.
func listEmails(t *testing.T, admin *client) map[string]int {
	t.Helper()
	counts := map[string]int{}
	var after any
	for {
		var out struct {
			Users struct {
				Edges    []struct{ Node struct{ Email string } }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		admin.must(t, `query($a: String) { users(first: 100, after: $a) { edges { node { email } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"a": after}, &out)
		for _, e := range out.Users.Edges {
			counts[e.Node.Email]++
		}
		if !out.Users.PageInfo.HasNextPage {
			return counts
		}
		after = out.Users.PageInfo.EndCursor
	}
}

// viewerState is everything one viewer's acknowledged writes left.
type viewerState struct {
	MySubscription *struct {
		Status   string
		Plan     struct{ ID string }
		NextPlan *struct{ ID string }
	}
	Invoices struct {
		Edges []struct{ Node struct{ Status string } }
	}
	WatchHistory struct {
		Edges []struct {
			Node struct {
				Video           struct{ ID string }
				PositionSeconds float64
			}
		}
	}
}

func verifyAccount(a *audit, c *client, acc *account) {
	var in struct{ Login struct{ AccessToken string } }
	err := query(c, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, map[string]any{"e": acc.email, "p": acc.password}, &in)
	if err != nil {
		a.lost("register of %s: cannot sign in: %v", acc.email, err)
		return
	}
	a.ok("register", 1)
	viewer := c.withToken(in.Login.AccessToken)
	var st viewerState
	if err := query(viewer, `{ mySubscription { status plan { id } nextPlan { id } }
		invoices(first: 20) { edges { node { status } } }
		watchHistory(first: 100) { edges { node { video { id } positionSeconds } } } }`, nil, &st); err != nil {
		a.lost("state of %s unreadable: %v", acc.email, err)
		return
	}
	verifySubscription(a, acc, st)
	verifyProgress(a, acc, st)
	for tag, id := range acc.tags {
		var out struct {
			VideosByTags []struct {
				ID     string
				MyTags []string
			}
		}
		if err := query(viewer, `query($t: String!) { videosByTags(tags: [$t]) { id myTags } }`, map[string]any{"t": tag}, &out); err != nil {
			a.lost("tag %s of %s unreadable: %v", tag, acc.email, err)
			continue
		}
		switch n := len(out.VideosByTags); {
		case n == 0 || out.VideosByTags[0].ID != id:
			a.lost("addTags %s of %s on %s: found %v", tag, acc.email, id, out.VideosByTags)
		case n > 1:
			a.dup("tags", "%s lists %d videos: %v", tag, n, out.VideosByTags)
		case countOf(out.VideosByTags[0].MyTags, tag) > 1:
			a.dup("tags", "%s twice in myTags %v", tag, out.VideosByTags[0].MyTags)
		default:
			a.ok("addTags", 1)
		}
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// verifySubscription: the acknowledged plan, pending plan and status, and
// one PAID invoice for a subscription (none without).
func verifySubscription(a *audit, acc *account, st viewerState) {
	paid := 0
	for _, e := range st.Invoices.Edges {
		if e.Node.Status == "PAID" {
			paid++
		}
	}
	a.mu.Lock()
	a.paid += paid
	a.mu.Unlock()
	ms, sub := st.MySubscription, acc.sub
	want := 0
	if ms != nil {
		want = 1
	}
	switch {
	case paid > want:
		a.dup("invoices", "%s has %d PAID invoices for %d subscription(s)", acc.email, paid, want)
	case paid < want:
		a.lost("subscribe of %s: subscribed without its PAID invoice", acc.email)
	}
	switch {
	case sub == nil && ms != nil && !acc.subscribing:
		a.lost("%s has a subscription nobody asked for: %+v", acc.email, *ms)
	case sub == nil:
	case ms == nil || ms.Plan.ID != sub.plan:
		a.lost("subscribe of %s to %s: found %+v", acc.email, sub.plan, ms)
	default:
		a.ok("subscribe", 1)
		next := ""
		if ms.NextPlan != nil {
			next = ms.NextPlan.ID
		}
		if next == sub.nextPlan || (sub.nextPlan == "" && next == sub.nextInFlight) {
			a.ok("changePlan", sub.changes)
		} else {
			a.lost("changePlan of %s to %q: next plan is %q", acc.email, sub.nextPlan, next)
		}
		status := "ACTIVE"
		if sub.canceled || (sub.cancelInFlight && ms.Status == "CANCELED") {
			status = "CANCELED"
		}
		if ms.Status == status {
			a.ok("cancelSubscription", sub.cancels)
		} else {
			a.lost("subscription of %s: status %s, want %s", acc.email, ms.Status, status)
		}
	}
}

// verifyProgress: the video is in the history once, at the last
// acknowledged position or at one sent since without an answer.
func verifyProgress(a *audit, acc *account, st viewerState) {
	w := acc.watch
	if w == nil {
		return
	}
	var positions []float64
	for _, e := range st.WatchHistory.Edges {
		if e.Node.Video.ID == w.video {
			positions = append(positions, e.Node.PositionSeconds)
		}
	}
	switch {
	case len(positions) > 1:
		a.dup("history", "%s has %s %d times in its history", acc.email, w.video, len(positions))
	case w.last < 0:
	case len(positions) == 0:
		a.lost("recordProgress of %s in %s at %v: not in the history", acc.email, w.video, w.last)
	case positions[0] == w.last || slices.Contains(w.inFlight, positions[0]):
		a.ok("recordProgress", w.acked)
	default:
		a.lost("recordProgress of %s in %s at %v: the history says %v", acc.email, w.video, w.last, positions[0])
	}
}

// verifyVideos: every acknowledged video with its title and published
// flag, each listed once, and no more of them than creates were sent.
func verifyVideos(t *testing.T, a *audit, admin *client, led *ledger, vids map[string]*videoRec) {
	t.Helper()
	var listed struct{ VideosByName []struct{ ID string } }
	require.NoError(t, query(admin, `query($n: String!) { videosByName(name: $n) { id } }`, map[string]any{"n": led.marker}, &listed))
	seen := map[string]int{}
	for _, v := range listed.VideosByName {
		seen[v.ID]++
		if seen[v.ID] == 2 {
			a.dup("videos", "%s listed more than once", v.ID)
		}
	}
	if bound := len(vids) + led.createsInFlight; len(seen) > bound {
		a.dup("videos", "%d videos for %d acknowledged creates and %d in flight", len(seen), len(vids), led.createsInFlight)
	}
	for id, v := range vids {
		var out struct {
			Video struct {
				Title     string
				Published bool
			}
		}
		if err := query(admin, `query($id: ID!) { video(id: $id) { title published } }`, map[string]any{"id": id}, &out); err != nil {
			a.lost("createVideo %s (%q): %v", id, v.title, err)
			continue
		}
		if seen[id] == 0 {
			a.lost("createVideo %s (%q): not listed by videosByName", id, v.title)
			continue
		}
		a.ok("createVideo", 1)
		switch got := out.Video.Title; {
		case got == v.title && v.renamed:
			a.ok("updateVideo", 1)
		case got == v.title || (got == v.sent && !v.renamed):
		default:
			a.lost("updateVideo %s to %q (in flight %q): title %q", id, v.title, v.sent, got)
		}
		if v.published && out.Video.Published {
			a.ok("publishVideo", 1)
		} else if v.published {
			a.lost("publishVideo %s: not published", id)
		}
	}
}

// report logs the figures of one mode and fails the test on any
// acknowledged write not found and any effect found twice.
func (a *audit) report(t *testing.T, mode string, led *ledger) {
	t.Helper()
	total := func(m map[string]int) (n int) {
		for _, v := range m {
			n += v
		}
		return n
	}
	t.Logf("figure: %s: mutations acknowledged: %s", mode, byKind(led.acked))
	t.Logf("figure: %s: attempts in flight (outcome unknown, sent again): %s; createVideo attempts that may have made a video: %d", mode, byKind(led.inFlight), led.createsInFlight)
	t.Logf("figure: %s: mutations acknowledged and found after kills: %d of %d", mode, total(a.found), total(led.acked))
	kinds := []string{"accounts", "videos", "tags", "invoices", "history"}
	if _, ok := a.dups["charges"]; ok {
		kinds = append(kinds, "charges")
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, a.dups[k])
	}
	t.Logf("figure: %s: duplicate effects found: %d (%s)", mode, total(a.dups), strings.Join(parts, ", "))
	assert.Empty(t, a.missing, "acknowledged writes not found after the kills")
	assert.Empty(t, a.notes, "effects applied twice")
	assert.Equal(t, byKind(led.acked), byKind(a.found), "acknowledged and found, by kind")
	assert.Positive(t, total(led.acked), "writes were acknowledged")
}
