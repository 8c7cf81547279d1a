package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDaprDeadLetters publishes an event its consumer can never handle: it
// lands in the dead letters, an admin sees it, a redrive delivers it again,
// and the other events keep flowing meanwhile.
func TestDaprDeadLetters(t *testing.T) {
	startDaprRun(t, daprBinaries(t), "redis")
	c := newClient(bffURL)
	admin := c.withToken(login(t, c, adminEmail, adminPassword))

	poison := fmt.Sprintf("poison-%d", time.Now().UnixNano())
	publishRaw(t, "pubsub", "users", fmt.Sprintf(
		`{"specversion":"1.0","id":%q,"type":"user.deleted","source":"e2e","datacontenttype":"application/json","data":"not an object","dflixtopic":"users"}`, poison))

	// Every consumer of the topic refuses it; catalog's is the one redriven.
	letter := waitDeadLetter(t, admin, poison, "catalog-user-deleted", time.Time{})
	assert.Equal(t, "user.deleted", letter.EventType)
	c.fails(t, "UNAUTHENTICATED", `{ deadLetters { id } }`, nil)

	// Nothing else stopped: a new video still reaches catalog's own events
	// and the search index.
	title := fmt.Sprintf("Quokka %d", time.Now().UnixNano())
	var created struct{ CreateVideo struct{ ID string } }
	admin.must(t, `mutation($t: String!) { createVideo(input: {title: $t, releaseYear: 2024, durationSeconds: 60, ageRating: G}) { id } }`, map[string]any{"t": title}, &created)
	admin.must(t, `mutation($id: ID!) { publishVideo(id: $id) { id } }`, map[string]any{"id": created.CreateVideo.ID}, nil)
	require.Eventually(t, func() bool {
		var out struct{ Search connection }
		r, err := c.do(`query($q: String!) { search(query: $q, first: 10) { edges { node { title } } } }`, map[string]any{"q": title})
		if err != nil || len(r.Errors) > 0 || mustDecode(r, &out) != nil {
			return false
		}
		for _, e := range out.Search.Edges {
			if e.Node.Title == title {
				return true
			}
		}
		return false
	}, 5*time.Second, 50*time.Millisecond)

	var redriven struct{ RedriveDeadLetter bool }
	admin.must(t, `mutation($id: String!) { redriveDeadLetter(id: $id) }`, map[string]any{"id": letter.ID}, &redriven)
	assert.True(t, redriven.RedriveDeadLetter)
	// The poison is delivered again and, still poison, dead-lettered again:
	// the same letter (one per subscription and event), failed later.
	again := waitDeadLetter(t, admin, poison, "catalog-user-deleted", letter.FailedAt)
	assert.Equal(t, letter.ID, again.ID)
}

type deadLetter struct {
	ID           string    `json:"id"`
	FailedAt     time.Time `json:"failedAt"`
	Subscription string    `json:"subscription"`
	EventID      string    `json:"eventId"`
	EventType    string    `json:"eventType"`
}

// deadLetterWait bounds the wait for a dead letter: a dropped event is
// lettered at once, one that is retried only after dapr/resiliency.yaml's
// exponential deliver retries (at most ~37s with their jitter).
const deadLetterWait = 60 * time.Second

// waitDeadLetter polls deadLetters until subscription's dead letter of
// eventID, failed after after, is listed.
func waitDeadLetter(t *testing.T, admin *client, eventID, subscription string, after time.Time) deadLetter {
	t.Helper()
	var found deadLetter
	require.Eventually(t, func() bool {
		var out struct{ DeadLetters []deadLetter }
		r, err := admin.do(`{ deadLetters { id subscription eventId eventType failedAt } }`, nil)
		if err != nil || len(r.Errors) > 0 || mustDecode(r, &out) != nil {
			return false
		}
		for _, d := range out.DeadLetters {
			if d.EventID == eventID && d.Subscription == subscription && d.FailedAt.After(after) {
				found = d
				return true
			}
		}
		return false
	}, deadLetterWait, 200*time.Millisecond, "dead letter for %s", eventID)
	return found
}

// publishRaw publishes a CloudEvent through the BFF's sidecar, as a broken or
// foreign producer would.
func publishRaw(t *testing.T, pubsub, topic, cloudEvent string) {
	t.Helper()
	resp, err := http.Post("http://127.0.0.1:3500/v1.0/publish/"+pubsub+"/"+topic, "application/cloudevents+json", bytes.NewBufferString(cloudEvent))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
}
