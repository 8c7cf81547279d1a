package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDaprTraceReachesServiceLogs sends a GraphQL mutation to the BFF in
// Dapr mode and follows the trace id the response names (X-Trace-Id):
// the catalog app, which the BFF called through both sidecars, logged the
// call with it; and the event the mutation caused (catalog's video.changed,
// through the outbox, its sidecar, the broker and the consumers' sidecars)
// was handled under the same trace id.
func TestDaprTraceReachesServiceLogs(t *testing.T) {
	root := daprBinaries(t)
	logDir := t.TempDir()
	t.Setenv("DFLIX_LOG_LEVEL", "debug") // handled events are logged at debug
	startDaprRun(t, root, "redis", "-log-dir", logDir)
	token := login(t, newClient(bffURL), adminEmail, adminPassword)

	body, err := json.Marshal(map[string]any{
		"query":     `mutation($t: String!) { createVideo(input: {title: $t, releaseYear: 2024, durationSeconds: 10, ageRating: PG}) { id } }`,
		"variables": map[string]any{"t": "Traced " + time.Now().Format(time.RFC3339Nano)},
	})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, bffURL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var out gqlResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Empty(t, out.Errors)
	traceID := resp.Header.Get("X-Trace-Id")
	require.Len(t, traceID, 32, "the BFF names the request's trace")

	lines := func(app string, match func(string) bool) []string {
		raw, _ := os.ReadFile(filepath.Join(logDir, app+".log"))
		var found []string
		for line := range strings.SplitSeq(string(raw), "\n") {
			if strings.Contains(line, traceID) && match(line) {
				found = append(found, line)
			}
		}
		return found
	}
	rpc := func(l string) bool { return strings.Contains(l, "rpc served") && strings.Contains(l, "CreateVideo") }
	require.Eventually(t, func() bool { return len(lines("catalog", rpc)) > 0 }, 20*time.Second, 100*time.Millisecond,
		"catalog.log has no call with trace %s", traceID)
	t.Logf("figure: catalog logged the call: %s", lines("catalog", rpc)[0])

	handled := func(l string) bool {
		return strings.Contains(l, "event handled") && strings.Contains(l, "video.changed")
	}
	var where, line string
	require.Eventually(t, func() bool {
		for _, app := range []string{"bff", "catalog"} {
			if found := lines(app, handled); len(found) > 0 {
				where, line = app, found[0]
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "no handler logged the mutation's event under trace %s", traceID)
	t.Logf("figure: %s handled the event under the same trace: %s", where, line)
}
