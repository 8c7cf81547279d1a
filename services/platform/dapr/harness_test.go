package dapr

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// Test component names.
const (
	redisStore  = "statestore"
	sqliteStore = "sqlitestore"
	pgStore     = "pgstore"
)

// testMaxAttempts is how often the test resiliency policy has the sidecar
// deliver a failing event before it dead-letters it.
const testMaxAttempts = 4

// sidecarSpec describes one test sidecar: app id, the app's handler (nil
// for a sidecar without app) and the apps it may invoke.
type sidecarSpec struct {
	appID string
	app   http.Handler
	// routes, when set, lets the test register subscriptions on the
	// Sidecar before the app serves; it returns the handler to serve.
	routes func(t *testing.T, sc *Sidecar) http.Handler
	// peers maps app ids this sidecar invokes to their internal gRPC ports.
	peers map[string]int
	// postgres is a connection string for a state.postgresql "pgstore".
	postgres string
	// resources are extra files for the resources directory, by name.
	resources map[string]string
	// configure adjusts the Config the Sidecar connects with.
	configure func(*Config)
	// maxBodySize is daprd's --max-body-size, default 64Mi.
	maxBodySize string
}

// testSidecar is a running daprd with its app server and Sidecar.
type testSidecar struct {
	appID        string
	sc           *Sidecar
	cmd          *exec.Cmd
	srv          *http.Server
	internalPort int
	logPath      string
	stopOnce     sync.Once
}

// startSidecar starts daprd for spec (and the app, when it has one),
// connects a Sidecar to it and waits until it has read the app's
// subscriptions. The sidecar is stopped with t.Cleanup unless keep.
func startSidecar(t *testing.T, e *testEnv, spec sidecarSpec, keep bool) *testSidecar {
	t.Helper()
	dir := filepath.Join(e.dir, spec.appID+"-"+randomID())
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ports := freePorts(t, 4)
	appPort, httpPort, grpcPort, internalPort := ports[0], ports[1], ports[2], ports[3]
	hasApp := spec.app != nil || spec.routes != nil
	writeResources(t, e, dir, spec, internalPort)

	args := []string{
		"--app-id", spec.appID,
		"--dapr-http-port", strconv.Itoa(httpPort),
		"--dapr-grpc-port", strconv.Itoa(grpcPort),
		"--dapr-internal-grpc-port", strconv.Itoa(internalPort),
		"--dapr-internal-grpc-listen-address", "127.0.0.1",
		"--dapr-listen-addresses", "127.0.0.1",
		"--enable-metrics=false",
		"--resources-path", filepath.Join(dir, "resources"),
		"--config", filepath.Join(dir, "config.yaml"),
		"--log-level", "warn",
		"--max-body-size", cmp.Or(spec.maxBodySize, "64Mi"),
		"--dapr-graceful-shutdown-seconds", "1",
	}
	if hasApp {
		args = append(args, "--app-port", strconv.Itoa(appPort), "--app-protocol", "http")
	}
	ts := &testSidecar{appID: spec.appID, internalPort: internalPort, logPath: filepath.Join(dir, "daprd.log")}
	logFile, err := os.Create(ts.logPath)
	require.NoError(t, err)
	ts.cmd = exec.Command(e.daprd, args...)
	ts.cmd.Dir = dir
	ts.cmd.Env = append(os.Environ(), "DAPR_HOST_IP=127.0.0.1")
	ts.cmd.Stdout, ts.cmd.Stderr = logFile, logFile
	dieWithParent(ts.cmd)
	require.NoError(t, ts.cmd.Start(), "start daprd")
	_ = logFile.Close()
	if keep {
		sharedMu.Lock()
		shared = append(shared, ts)
		sharedMu.Unlock()
	} else {
		t.Cleanup(ts.stop)
	}
	t.Cleanup(func() {
		if t.Failed() {
			ts.dumpLog(t)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := Config{
		AppID: spec.appID, AppPort: appPort, HTTPPort: httpPort, GRPCPort: grpcPort,
		DeadLetterTopic: e.deadLetterTopic,
		Logger:          slog.New(slog.DiscardHandler),
	}
	if spec.configure != nil {
		spec.configure(&cfg)
	}
	ts.sc, err = Connect(ctx, cfg)
	require.NoError(t, err, "connect to daprd %s", spec.appID)
	if !hasApp {
		return ts
	}
	handler := spec.app
	if spec.routes != nil {
		handler = spec.routes(t, ts.sc)
	}
	ts.serve(t, appPort, handler)
	ts.waitSubscribed(t, ctx)
	return ts
}

// serve starts the app's HTTP server on port.
func (ts *testSidecar) serve(t *testing.T, port int, h http.Handler) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err, "app listen")
	ts.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ts.srv.Serve(ln) }()
}

// waitSubscribed waits until daprd is healthy, which it is once it has
// reached the app and read its subscriptions.
func (ts *testSidecar) waitSubscribed(t *testing.T, ctx context.Context) {
	t.Helper()
	for {
		err := ts.sc.checkHealth(ctx, "/v1.0/healthz")
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("daprd %s did not become healthy: %v", ts.appID, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop stops daprd (SIGTERM, then SIGKILL) and the app server.
func (ts *testSidecar) stop() {
	ts.stopOnce.Do(func() {
		if ts.sc != nil {
			_ = ts.sc.Close()
		}
		if ts.cmd != nil && ts.cmd.Process != nil {
			_ = ts.cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = ts.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = ts.cmd.Process.Kill()
				<-done
			}
		}
		if ts.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = ts.srv.Shutdown(ctx)
		}
	})
}

func (ts *testSidecar) dumpLog(t *testing.T) {
	data, err := os.ReadFile(ts.logPath)
	if err != nil {
		return
	}
	if len(data) > 8000 {
		data = data[len(data)-8000:]
	}
	t.Logf("daprd %s log (tail):\n%s", ts.appID, data)
}

// freePorts returns n distinct free TCP ports on the loopback.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
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

func randomID() string { return strings.ReplaceAll(uuid.NewString()[:8], "-", "") }

// resourceData fills the resource templates.
type resourceData struct {
	Redis, DataDir, DeadLetterTopic, Postgres, NameTemplate string
	MaxRetries                                              int
}

// writeResources writes dir/resources (components and resiliency) and
// dir/config.yaml for one sidecar.
func writeResources(t *testing.T, e *testEnv, dir string, spec sidecarSpec, internalPort int) {
	t.Helper()
	res := filepath.Join(dir, "resources")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "blobs"), 0o755))
	require.NoError(t, os.MkdirAll(res, 0o755))
	data := resourceData{
		Redis: redisAddr, DataDir: dir, DeadLetterTopic: e.deadLetterTopic, Postgres: spec.postgres,
		NameTemplate: nameTemplate(spec.appID, internalPort, spec.peers), MaxRetries: testMaxAttempts - 1,
	}
	files := map[string]string{
		"resources/statestore.yaml":  redisStateYAML,
		"resources/sqlitestore.yaml": sqliteStateYAML,
		"resources/pubsub.yaml":      pubsubYAML,
		"resources/blobs.yaml":       blobsYAML,
		"resources/resiliency.yaml":  resiliencyYAML,
		"config.yaml":                configYAML,
	}
	if spec.postgres != "" {
		files["resources/pgstore.yaml"] = pgStateYAML
	}
	for name, text := range spec.resources {
		files["resources/"+name] = text
	}
	for name, text := range files {
		var buf bytes.Buffer
		require.NoError(t, template.Must(template.New(name).Parse(text)).Execute(&buf, data))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644))
	}
}

// nameTemplate is the kubernetes name resolver's template that maps app ids
// to the loopback ports of their sidecars' internal gRPC servers; any other
// app resolves to port 1, where nothing listens. The tests resolve names so
// because mDNS would multicast on the machine's network (see the report in
// the package's tests).
func nameTemplate(self string, selfPort int, peers map[string]int) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf(`{{if eq .ID %q}}127.0.0.1:%d`, self, selfPort))
	for id, port := range peers {
		b.WriteString(fmt.Sprintf(`{{else if eq .ID %q}}127.0.0.1:%d`, id, port))
	}
	b.WriteString(`{{else}}127.0.0.1:1{{end}}`)
	return b.String()
}
