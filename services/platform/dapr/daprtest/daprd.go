package daprtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/dapr"
)

// configYAML resolves every app id to a port where nothing listens, so
// daprd does not multicast mDNS on the machine's network.
const configYAML = `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprtest
spec:
  nameResolution:
    component: kubernetes
    configuration:
      template: "127.0.0.1:1"
`

// daprdCache is where scripts/daprd.sh builds the pinned daprd.
const daprdCache = ".cache/dflix/daprd-1.14.0/daprd"

// RequireDaprd returns the daprd to test with: skips the test unless
// DFLIX_DAPR_TESTS=1 or CI=true, and fails it when then there is none.
func RequireDaprd(t testing.TB) string {
	t.Helper()
	if os.Getenv("DFLIX_DAPR_TESTS") != "1" && os.Getenv("CI") != "true" {
		t.Skip("integration test against a real daprd: set DFLIX_DAPR_TESTS=1 (CI=true does too) to run it")
	}
	if p := os.Getenv("DFLIX_DAPRD"); p != "" {
		_, err := os.Stat(p)
		require.NoError(t, err, "DFLIX_DAPRD")
		return p
	}
	home, _ := os.UserHomeDir()
	for _, p := range []string{filepath.Join(home, daprdCache), filepath.Join(home, ".dapr/bin/daprd")} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("daprd")
	require.NoError(t, err, "daprd not found: set DFLIX_DAPRD, build it with scripts/daprd.sh or put it on PATH")
	return p
}

// Start starts daprd without an app, with the given component files (name
// to YAML), on free loopback ports, and returns a Sidecar connected to it.
// Both are stopped when the test ends; daprd's log is shown if it failed.
func Start(t testing.TB, daprd string, resources map[string]string) *dapr.Sidecar {
	t.Helper()
	dir := t.TempDir()
	resDir := filepath.Join(dir, "resources")
	require.NoError(t, os.MkdirAll(resDir, 0o755))
	for name, text := range resources {
		require.NoError(t, os.WriteFile(filepath.Join(resDir, name), []byte(text), 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(configYAML), 0o644))
	ports := freePorts(t, 3)
	appID := "dflix-test-" + uuid.NewString()[:8]
	cmd := exec.Command(daprd,
		"--app-id", appID,
		"--dapr-http-port", strconv.Itoa(ports[0]),
		"--dapr-grpc-port", strconv.Itoa(ports[1]),
		"--dapr-internal-grpc-port", strconv.Itoa(ports[2]),
		"--dapr-listen-addresses", "127.0.0.1",
		"--enable-metrics=false",
		"--resources-path", resDir,
		"--config", filepath.Join(dir, "config.yaml"),
		"--log-level", "warn",
		"--dapr-graceful-shutdown-seconds", "1",
	)
	logPath := filepath.Join(dir, "daprd.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	cmd.Env = append(os.Environ(), "DAPR_HOST_IP=127.0.0.1")
	dieWithParent(cmd)
	require.NoError(t, cmd.Start(), "start daprd")
	_ = logFile.Close()
	t.Cleanup(func() { stopDaprd(t, cmd, logPath) })

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sc, err := dapr.Connect(ctx, dapr.Config{
		AppID: appID, HTTPPort: ports[0], GRPCPort: ports[1], Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err, "connect to daprd")
	t.Cleanup(func() { _ = sc.Close() })
	return sc
}

// stopDaprd stops daprd (SIGTERM, then SIGKILL after 5s) and shows the
// tail of its log when the test failed.
func stopDaprd(t testing.TB, cmd *exec.Cmd, logPath string) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	if !t.Failed() {
		return
	}
	if data, err := os.ReadFile(logPath); err == nil {
		t.Logf("daprd log (tail):\n%s", data[max(0, len(data)-8000):])
	}
}

// freePorts returns n distinct free TCP ports on the loopback.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// HTTPBindingYAML is a bindings.http output binding named name to url.
// errorIfNot2XX "false" makes a 4xx or 5xx a response with its statusCode
// rather than an error, as the payment gateway's client needs.
func HTTPBindingYAML(name, url string) string {
	return fmt.Sprintf(`apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: %s
spec:
  type: bindings.http
  version: v1
  metadata:
  - name: url
    value: %q
  - name: errorIfNot2XX
    value: "false"
`, name, url)
}
