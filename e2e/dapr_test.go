package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/platformtest"
)

// daprSets are the component sets in components/ that Dapr mode must pass on.
var daprSets = []string{"redis", "rabbitmq-postgres", "mqtt-sqlite"}

// bffURL is where dapr/dapr.yaml puts the BFF.
const bffURL = "http://127.0.0.1:8080"

func daprGated() bool {
	return os.Getenv("DFLIX_DAPR_TESTS") == "1" || os.Getenv("CI") == "true"
}

// repoRoot is the module root, where dapr/dapr.yaml expects bin/dflix.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Dir(filepath.Dir(file))
}

// TestDaprModeScenario runs the viewer, media and billing scenarios against
// bff, auth, catalog, encoder and subscription as separate processes, each beside its own
// daprd, on each component set: the broker and the databases change, the
// code does not.
func TestDaprModeScenario(t *testing.T) {
	root := daprBinaries(t)
	for _, set := range daprSets {
		t.Run(set, func(t *testing.T) {
			startDaprRun(t, root, set)
			viewerScenario(t, bffURL, fmt.Sprintf("-%s-%d", set, time.Now().UnixNano()))
			billingScenario(t, bffURL, mediaScenario(t, bffURL))
			trialScenario(t, bffURL)
		})
	}
}

// daprBinaries skips a Dapr-mode test unless it is enabled (CI enables it,
// and there a missing tool fails the test), builds bin/dflix and bin/daprrun
// where dapr/dapr.yaml expects them, and returns the repository root.
func daprBinaries(t *testing.T) string {
	t.Helper()
	if !daprGated() {
		t.Skip("Dapr mode end to end: set DFLIX_DAPR_TESTS=1 (CI=true does too); needs daprd (make daprd) and scripts/infra.sh")
	}
	root := repoRoot(t)
	build(t, root, "bin/dflix", "./cmd/dflix")
	build(t, root, "bin/daprrun", "./cmd/daprrun")
	return root
}

func build(t *testing.T, root, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(root, out), pkg)
	cmd.Dir = root
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, string(b))
}

// startDaprRun starts every app and sidecar of dapr/dapr.yaml on one
// component set, on empty stores, and waits until the BFF serves the seeded
// catalog.
func startDaprRun(t *testing.T, root, set string, extra ...string) {
	t.Helper()
	startRun(t, root, "dapr/dapr.yaml", set, func(string) bool { return seededAt(bffURL) }, extra...)
}

// startRun empties the stores and queues of the set's servers (tests share
// them, and state outlives a run), starts daprrun with runFile, and polls
// ready with daprrun's output so far until it holds.
func startRun(t *testing.T, root, runFile, set string, ready func(logs string) bool, extra ...string) {
	t.Helper()
	for _, cmd := range []string{"up", "reset"} {
		out, err := exec.Command(filepath.Join(root, "scripts/infra.sh"), cmd, set).CombinedOutput()
		require.NoError(t, err, "infra.sh %s %s: %s", cmd, set, out)
	}
	args := append([]string{"-f", filepath.Join(root, runFile), "-components", set}, extra...)
	cmd := exec.Command(filepath.Join(root, "bin/daprrun"), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"DFLIX_ADMIN_EMAIL="+adminEmail, "DFLIX_ADMIN_PASSWORD="+adminPassword,
		"DFLIX_SEED_DEMO=true", "DFLIX_ARGON2_MEMORY_MIB=8", "DFLIX_LOG_FORMAT=json",
		// A billing day of two seconds: a one-day trial ends within the
		// renewals cron binding's period (trialScenario).
		"DFLIX_BILLING_DAY=2s")
	logs := &platformtest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	// A sidecar or app that outlives daprrun would keep the output pipe
	// open; Wait gives up on it this long after daprrun exits.
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	// done is closed when daprrun has exited (waitErr then holds how), so
	// the readiness loop and the cleanup can both wait on it.
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("daprrun output:\n%s", tail(logs.String(), 300))
		}
	})
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("daprrun exited before %s was ready: %v\n%s", runFile, waitErr, tail(logs.String(), 300))
		default:
		}
		if ready(logs.String()) {
			return
		}
		time.Sleep(200 * time.Millisecond) // polling for readiness, not waiting for an event
	}
	t.Fatalf("%s on %s not ready within 3 minutes\n%s", runFile, set, tail(logs.String(), 300))
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
