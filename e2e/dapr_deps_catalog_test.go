package e2e

import (
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mixedPage asks three services at once, as a home page does: auth (me),
// subscription (plans, mySubscription) and catalog (videos).
const mixedPage = `{ me { email } plans { id } mySubscription { status } videos(first: 1) { totalCount } }`

const playQuery = `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`

// TestDaprDependencyDown kills catalog, then subscription, under a running
// platform (kill -9 of the app; its sidecar stays), with a subscribed
// viewer already playing a video. While a service is down the BFF answers
// at once with the other services' data and UNAVAILABLE on that service's
// fields only; the BFF sidecar's circuit breaker for a failing method
// opens, lets a probe through after its timeout (dapr/resiliency.yaml),
// opens again while the service is still down, and closes once it is back;
// the player keeps getting playlists and segments, because the media
// gateway needs only its signed URL and the blobs; a new stream cannot
// start while its entitlement cannot be checked (fail-closed). Each figure
// is logged as "figure: ...".
func TestDaprDependencyDown(t *testing.T) {
	root := daprBinaries(t)
	logDir := t.TempDir()
	startDaprRun(t, root, "redis", "-keep-going", "-log-dir", logDir)
	r := &faultRun{top: t, root: root, breakers: breakerLog{path: filepath.Join(logDir, "bff.daprd.log")}}

	admin := newClient(bffURL).withToken(login(t, newClient(bffURL), adminEmail, adminPassword))
	r.video = mediaScenario(t, bffURL)
	r.viewer = registerViewer(t, bffURL)
	subscribeViewer(t, admin, r.viewer, 720)
	var play struct{ Playback struct{ ManifestURL string } }
	r.viewer.must(t, playQuery, map[string]any{"id": r.video}, &play)
	r.player = startPlayer(t, bffURL, play.Playback.ManifestURL)
	poll(t, 30*time.Second, 50*time.Millisecond, func() bool { return r.player.tally().segments >= 3 }, "the viewer plays")
	require.True(t, ask(t, r.viewer, mixedPage, nil).full(), "every service answers before the faults")

	t.Run("catalog", r.catalogDown)
	t.Run("subscription", r.subscriptionDown)
}

// faultRun is the platform of TestDaprDependencyDown and what its phases
// share.
type faultRun struct {
	top      *testing.T // restarted apps live until it ends, not just their phase
	root     string
	breakers breakerLog
	viewer   *client
	video    string
	player   *player
}

// catalogDown: partial answers, the breaker opening and closing, and the
// player going on, around a catalog killed and restarted.
func (r *faultRun) catalogDown(t *testing.T) {
	down := r.outage(t, catalogApp, []string{"me", "plans", "mySubscription"}, map[string]string{"videos": "UNAVAILABLE"})
	assert.Zero(t, down.failures, "no player request failed: %s", r.player.lastError())
}

// subscriptionDown: plans and the viewer's subscription are UNAVAILABLE,
// catalog's fields are not, and a new stream is refused (fail-closed: no
// entitlement, no play), while the playing viewer goes on.
func (r *faultRun) subscriptionDown(t *testing.T) {
	down := r.outage(t, subscriptionApp, []string{"me", "videos"},
		map[string]string{"plans": "UNAVAILABLE", "mySubscription": "UNAVAILABLE"})
	assert.Zero(t, down.failures, "no player request failed: %s", r.player.lastError())
	r.viewer.must(t, playQuery, map[string]any{"id": r.video}, nil)
}

// outage kills app, checks the partial answers and the player while it is
// down, and restarts it once the BFF sidecar's breaker for one of its
// methods has opened and re-opened after a probe; it returns what the
// player fetched meanwhile. withData and null are mixedPage's fields with
// data and those null, with their codes, while app is down.
func (r *faultRun) outage(t *testing.T, app faultApp, withData []string, null map[string]string) tally {
	logged := len(r.breakers.changes(t))
	app.kill(t)
	killed, atKill := time.Now(), r.player.tally()

	first := ask(t, r.viewer, mixedPage, nil)
	requirePartial(t, first, withData, null)
	t.Logf("figure: %s down: first mixed answer in %s (%v with data; %v null)", app.name, first.took, withData, null)
	if app == subscriptionApp {
		r.newStreamRefused(t)
	}

	// The breaker counts consecutive failures of one method; after its
	// timeout it lets one probe through, which fails while app is down.
	var calls int
	var open, reopen time.Duration
	var before, during []time.Duration
	poll(t, 60*time.Second, 100*time.Millisecond, func() bool {
		a := ask(t, r.viewer, mixedPage, nil)
		requirePartial(t, a, withData, null)
		calls++
		switch {
		case open == 0 && len(r.breakers.since(t, logged, app.name+":", "closed -> open")) > 0:
			open = time.Since(killed)
			t.Logf("figure: %s down: breaker open after %d mixed answers, %s after the kill", app.name, calls+1, open.Round(10*time.Millisecond))
		case open == 0:
			before = append(before, a.took)
		default:
			during = append(during, a.took)
		}
		if open > 0 && len(r.breakers.since(t, logged, app.name+":", "half-open -> open")) > 0 {
			reopen = time.Since(killed)
			return true
		}
		return false
	}, app.name+"'s breaker opens, probes and opens again")
	t.Logf("figure: %s down: breaker re-opened after a failed probe %s after the kill", app.name, reopen.Round(10*time.Millisecond))
	t.Logf("figure: %s down: mixed answers before the breaker opened: median %s, max %s; while open: median %s, max %s",
		app.name, median(before), maxOf(before), median(during), maxOf(during))

	restarted, atRestart := time.Now(), r.player.tally()
	app.restart(t, r.top, r.root)
	var tries int
	poll(t, 90*time.Second, 100*time.Millisecond, func() bool {
		tries++
		return ask(t, r.viewer, mixedPage, nil).full()
	}, "full answers return after the restart")
	t.Logf("figure: %s restart to first full answer: %s (%d tries, every 100 ms)", app.name, time.Since(restarted).Round(10*time.Millisecond), tries)
	poll(t, 30*time.Second, 100*time.Millisecond, func() bool { return len(r.breakers.since(t, logged, app.name+":", "-> closed")) > 0 },
		"the breaker closes")
	t.Logf("figure: %s breaker changes: %v", app.name, r.breakers.since(t, logged, app.name+":", ""))

	downFor, got := restarted.Sub(killed), atRestart.minus(atKill)
	t.Logf("figure: %s down %s: the playing viewer got %d segments and %d playlists, %d failures",
		app.name, downFor.Round(10*time.Millisecond), got.segments, got.playlists, got.failures)
	assert.Positive(t, got.segments, "segments while %s was down", app.name)
	assert.Positive(t, got.playlists, "playlists while %s was down", app.name)
	return got
}

// newStreamRefused checks that playback fails closed while subscription,
// which checks entitlements, is down.
func (r *faultRun) newStreamRefused(t *testing.T) {
	play := ask(t, r.viewer, playQuery, map[string]any{"id": r.video})
	require.Len(t, play.errors, 1, "a new stream is refused: %s", play)
	assert.Equal(t, "UNAVAILABLE", play.errors[0].Code(), play.errors[0].Message)
	assert.Contains(t, play.errors[0].Message, "subscription cannot be checked", "the viewer is told why")
	assert.Equal(t, []any{"playback"}, play.errors[0].Path)
	assert.Equal(t, "null", orNull(play.data["playback"]))
	t.Logf("figure: subscription down: new playback refused in %s with %s %q", play.took, play.errors[0].Code(), play.errors[0].Message)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func maxOf(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}
