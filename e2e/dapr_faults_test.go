package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/platformtest"
)

// The catalog app and its sidecar as dapr/dapr.yaml places them.
const (
	catalogAddr     = "127.0.0.1:8082"
	catalogDaprHTTP = "3502"
	catalogDaprGRPC = "30003"
)

// TestDaprServiceKilledAndRestarted kills the catalog process under a
// running platform: what needs catalog fails fast with UNAVAILABLE, what
// does not keeps working, and a restarted catalog serves again.
func TestDaprServiceKilledAndRestarted(t *testing.T) {
	root := daprBinaries(t)
	startDaprRun(t, root, "redis", "-keep-going")
	c := newClient(bffURL)
	admin := c.withToken(login(t, c, adminEmail, adminPassword))

	pid := listenerPID(t, catalogAddr)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))

	began := time.Now()
	code := c.fails(t, "UNAVAILABLE", `{ videos(first: 1) { totalCount } }`, nil)
	assert.NotEmpty(t, code)
	assert.Less(t, time.Since(began), 6*time.Second, "no hang past the 5 s invoke timeout")
	var me struct{ Me struct{ Email string } }
	admin.must(t, `{ me { email } }`, nil, &me) // auth is still up
	assert.Equal(t, adminEmail, me.Me.Email)

	restartCatalog(t, root)
	require.Eventually(t, func() bool { return seededAt(bffURL) }, 90*time.Second, 250*time.Millisecond, "catalog serves again after its restart")
}

// listenerPID returns the pid of the process listening on addr.
func listenerPID(t *testing.T, addr string) int {
	t.Helper()
	out, err := exec.Command("ss", "-ltnpH", "src", addr).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`pid=(\d+)`).FindSubmatch(out)
	require.NotNil(t, m, "nothing listens on %s: %s", addr, out)
	pid, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return pid
}

// restartCatalog starts the catalog app again beside its still-running
// sidecar, the way daprrun started it.
func restartCatalog(t *testing.T, root string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "bin/dflix"), "--target=catalog")
	cmd.Dir = filepath.Join(root, "dapr")
	cmd.Env = append(os.Environ(), "DAPR_HTTP_PORT="+catalogDaprHTTP, "DAPR_GRPC_PORT="+catalogDaprGRPC,
		"DFLIX_ADDR="+catalogAddr, "DFLIX_DATA_DIR=../data/dapr/catalog", "DFLIX_LOG_FORMAT=json")
	logs := &platformtest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("restarted catalog:\n%s", tail(logs.String(), 100))
		}
	})
}

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
	}, 30*time.Second, 200*time.Millisecond, "dead letter for %s", eventID)
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
