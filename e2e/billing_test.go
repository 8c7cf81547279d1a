package e2e

import (
	"bytes"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// approveCard is the sandbox gateway's always-approve test card.
const approveCard = "4242424242424242"

// TestSubscriptionGatesPlayback: without a subscription playback is
// refused; a trial plays, at most at the plan's resolution and on at most
// its number of screens; the trial turns ACTIVE with one charge when the
// renewal sweep finds it due (days shortened to seconds); and no card
// number reaches a log line or a stored byte.
func TestSubscriptionGatesPlayback(t *testing.T) {
	requireFFmpeg(t)
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	in := start(t, dataDir, "--billing-day=1s", "--renewal-interval=500ms")
	m := newMediaSession(t, in.URL)

	clip := filepath.Join(dir, "clip.mp4")
	makeClip(t, clip, "1280x720", 2)
	videos := make([]string, 3)
	for i := range videos {
		videos[i] = m.upload(t, "Billing clip "+string(rune('A'+i)), clip) // one media, encoded once
	}
	for _, v := range videos {
		status, reason := waitMedia(t, m.admin, v, 2*time.Minute)
		require.Equal(t, "READY", status, reason)
	}
	var plan struct {
		CreatePlan struct{ ID string }
	}
	m.admin.must(t, `mutation { createPlan(input: {name: "Two screens, 480p", priceMinor: 999, currency: "EUR", trialDays: 2, maxResolution: 480, maxStreams: 2}) { id } }`, nil, &plan)

	viewer := registerViewer(t, in.URL)
	msg := viewer.fails(t, "SUBSCRIPTION_REQUIRED", `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": videos[0]})
	assert.NotEmpty(t, msg)

	var sub struct {
		Subscribe struct {
			Status        string
			PaymentMethod struct{ Brand, Last4 string }
		}
	}
	viewer.must(t, `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status paymentMethod { brand last4 } } }`,
		map[string]any{"p": plan.CreatePlan.ID, "c": map[string]any{"number": approveCard, "expMonth": 12, "expYear": 2035, "cvc": "123"}}, &sub)
	assert.Equal(t, "TRIALING", sub.Subscribe.Status)
	assert.Equal(t, "4242", sub.Subscribe.PaymentMethod.Last4)

	var play struct {
		Playback struct {
			ManifestURL string
			Renditions  []struct{ Height int }
		}
	}
	viewer.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl renditions { height } } }`, map[string]any{"id": videos[0]}, &play)
	for _, r := range play.Playback.Renditions {
		assert.LessOrEqual(t, r.Height, 480, "the plan stops at 480p")
	}
	code, master, _ := fetch(t, in.URL, play.Playback.ManifestURL, nil)
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, string(master), "720p/", "the manifest lists no rendition above the plan")
	assert.Contains(t, string(master), "480p/")
	code, _, _ = fetch(t, in.URL, resolve(play.Playback.ManifestURL, "720p/index.m3u8"), nil)
	assert.Equal(t, http.StatusForbidden, code, "nor serves one")

	viewer.must(t, `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": videos[1]}, nil)
	viewer.fails(t, "STREAM_LIMIT_REACHED", `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`, map[string]any{"id": videos[2]})

	// Two billing days later the sweep charges the trial: ACTIVE, one paid invoice.
	deadline := time.Now().Add(30 * time.Second)
	var mine struct {
		MySubscription struct{ Status string }
		Invoices       struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Status, Currency, Last4 string
					AmountMinor             int64
				}
			}
		}
	}
	for time.Now().Before(deadline) {
		viewer.must(t, `{ mySubscription { status } invoices { totalCount edges { node { status currency last4 amountMinor } } } }`, nil, &mine)
		if mine.MySubscription.Status != "TRIALING" {
			break
		}
		time.Sleep(200 * time.Millisecond) // polling the sweep's outcome, with a deadline
	}
	require.Equal(t, "ACTIVE", mine.MySubscription.Status)
	require.GreaterOrEqual(t, mine.Invoices.TotalCount, 1)
	first := mine.Invoices.Edges[len(mine.Invoices.Edges)-1].Node
	assert.Equal(t, "PAID", first.Status)
	assert.Equal(t, "EUR", first.Currency)
	assert.EqualValues(t, 999, first.AmountMinor)

	in.stop()
	assertNoCardNumber(t, approveCard, dataDir, in.logs.String())
}

// registerViewer signs up a fresh viewer and returns a client with its token.
func registerViewer(t *testing.T, baseURL string) *client {
	t.Helper()
	var reg struct{ Register authPayload }
	newClient(baseURL).must(t, `mutation($i: RegisterInput!) { register(input: $i) { accessToken } }`,
		map[string]any{"i": map[string]any{"email": "payer" + time.Now().Format("150405.000000") + "@example.com", "password": "pay-the-bills-123", "displayName": "P"}}, &reg)
	return newClient(baseURL).withToken(reg.Register.AccessToken)
}

// assertNoCardNumber greps every file under dir and the logs for the card
// number.
func assertNoCardNumber(t *testing.T, number, dir, logs string) {
	t.Helper()
	assert.NotContains(t, logs, number, "a log line holds the card number")
	files := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		assert.False(t, bytes.Contains(data, []byte(number)), "%s holds the card number", strings.TrimPrefix(path, dir))
		return nil
	})
	require.NoError(t, err)
	assert.Positive(t, files)
}

// subscribeViewer has the admin create a plan up to maxResolution on two
// screens, without a trial, and subscribes the viewer with the test card.
func subscribeViewer(t *testing.T, admin, viewer *client, maxResolution int) {
	t.Helper()
	var plan struct {
		CreatePlan struct{ ID string }
	}
	admin.must(t, `mutation($n: String!, $r: Int!) { createPlan(input: {name: $n, priceMinor: 1299, maxResolution: $r, maxStreams: 2}) { id } }`,
		map[string]any{"n": "Plan " + time.Now().Format("150405.000000"), "r": maxResolution}, &plan)
	subscribeTo(t, viewer, plan.CreatePlan.ID)
}

// billingScenario is the billing path every deployment shape must pass: a
// viewer without a plan is refused playback, subscribes (charged at once,
// through the payment gateway) and plays; a declined card subscribes nobody
// and leaves a FAILED invoice beside the PAID one.
func billingScenario(t *testing.T, baseURL, videoID string) {
	t.Helper()
	admin := newClient(baseURL).withToken(login(t, newClient(baseURL), adminEmail, adminPassword))
	viewer := registerViewer(t, baseURL)
	play := `query($id: ID!) { playback(videoId: $id) { manifestUrl } }`
	viewer.fails(t, "SUBSCRIPTION_REQUIRED", play, map[string]any{"id": videoID})

	var plan struct {
		CreatePlan struct{ ID string }
	}
	admin.must(t, `mutation($n: String!) { createPlan(input: {name: $n, priceMinor: 1299, maxResolution: 720, maxStreams: 1}) { id } }`,
		map[string]any{"n": "Scenario plan " + time.Now().Format(time.RFC3339Nano)}, &plan)
	declined := map[string]any{"p": plan.CreatePlan.ID, "c": map[string]any{"number": "4000000000000002", "expMonth": 12, "expYear": 2035, "cvc": "123"}}
	viewer.fails(t, "PAYMENT_DECLINED", `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status } }`, declined)
	viewer.must(t, `{ mySubscription { status } }`, nil, nil)

	subscribeTo(t, viewer, plan.CreatePlan.ID)
	var mine struct {
		MySubscription struct{ Status string }
		Invoices       struct {
			Edges []struct {
				Node struct {
					Status        string
					DeclineReason *string
				}
			}
		}
	}
	viewer.must(t, `{ mySubscription { status } invoices { edges { node { status declineReason } } } }`, nil, &mine)
	assert.Equal(t, "ACTIVE", mine.MySubscription.Status)
	require.Len(t, mine.Invoices.Edges, 2, "the declined attempt and the paid one")
	assert.Equal(t, "PAID", mine.Invoices.Edges[0].Node.Status, "newest first")
	assert.Equal(t, "FAILED", mine.Invoices.Edges[1].Node.Status)
	require.NotNil(t, mine.Invoices.Edges[1].Node.DeclineReason)
	assert.Equal(t, "card_declined", *mine.Invoices.Edges[1].Node.DeclineReason)
	viewer.must(t, play, map[string]any{"id": videoID}, nil)
}

// subscribeTo subscribes the viewer to a plan without a trial with the
// always-approve card.
func subscribeTo(t *testing.T, viewer *client, planID string) {
	t.Helper()
	var sub struct {
		Subscribe struct{ Status string }
	}
	viewer.must(t, `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status } }`,
		map[string]any{"p": planID, "c": map[string]any{"number": approveCard, "expMonth": 12, "expYear": 2035, "cvc": "123"}}, &sub)
	require.Equal(t, "ACTIVE", sub.Subscribe.Status)
}

// trialScenario: a trial ends (a billing day of 2 s) and the renewals cron
// binding's sweep charges it through the payments binding: ACTIVE, one
// PAID invoice.
func trialScenario(t *testing.T, baseURL string) {
	t.Helper()
	admin := newClient(baseURL).withToken(login(t, newClient(baseURL), adminEmail, adminPassword))
	var plan struct {
		CreatePlan struct{ ID string }
	}
	admin.must(t, `mutation($n: String!) { createPlan(input: {name: $n, priceMinor: 499, trialDays: 1, maxResolution: 480, maxStreams: 1}) { id } }`,
		map[string]any{"n": "Trial plan " + time.Now().Format(time.RFC3339Nano)}, &plan)
	viewer := registerViewer(t, baseURL)
	var sub struct {
		Subscribe struct{ Status string }
	}
	viewer.must(t, `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status } }`,
		map[string]any{"p": plan.CreatePlan.ID, "c": map[string]any{"number": approveCard, "expMonth": 12, "expYear": 2035, "cvc": "123"}}, &sub)
	require.Equal(t, "TRIALING", sub.Subscribe.Status)
	var mine struct {
		MySubscription struct{ Status string }
		Invoices       struct {
			Edges []struct{ Node struct{ Status string } }
		}
	}
	deadline := time.Now().Add(45 * time.Second) // the trial (2 s) plus a cron period (10 s), with room
	for time.Now().Before(deadline) {
		viewer.must(t, `{ mySubscription { status } invoices { edges { node { status } } } }`, nil, &mine)
		if mine.MySubscription.Status != "TRIALING" {
			break
		}
		time.Sleep(500 * time.Millisecond) // polling the cron-driven sweep, with a deadline
	}
	require.Equal(t, "ACTIVE", mine.MySubscription.Status, "the cron sweep charged the trial")
	require.NotEmpty(t, mine.Invoices.Edges)
	assert.Equal(t, "PAID", mine.Invoices.Edges[len(mine.Invoices.Edges)-1].Node.Status)
}
