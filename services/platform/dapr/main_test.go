package dapr

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// redisAddr is where the integration tests find Redis: the server of
// `scripts/infra.sh up redis` when it listens, else one they start.
const redisAddr = "127.0.0.1:16379"

// defaultPostgres is the database of `scripts/infra.sh up postgres`, which
// the PostgreSQL state test uses when it listens (or $DFLIX_DAPR_POSTGRES).
const defaultPostgres = "host=127.0.0.1 port=15432 user=postgres dbname=dflix sslmode=disable"

// daprdCache is where the pinned daprd is built (scripts/daprd.sh).
const daprdCache = ".cache/dflix/daprd-1.14.0/daprd"

// testEnv is what the integration tests share: the daprd binary, Redis and
// a directory for the sidecars' files. It is set up on first use and torn
// down by TestMain.
type testEnv struct {
	daprd string
	dir   string
	redis *exec.Cmd // nil when Redis was already running
	// deadLetterTopic is unique to the run, so a new consumer group does not
	// read the dead letters of earlier runs.
	deadLetterTopic string
	// postgres is a PostgreSQL connection string, empty when there is none.
	postgres string
}

var (
	envOnce sync.Once
	env     *testEnv
	envErr  error
	// shared are the sidecars kept for the whole run, stopped by TestMain.
	sharedMu sync.Mutex
	shared   []*testSidecar
)

func TestMain(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	for _, s := range shared {
		s.stop()
	}
	sharedMu.Unlock()
	if env != nil {
		env.close()
	}
	os.Exit(code)
}

// gated reports whether the integration tests are to run.
func gated() bool {
	return os.Getenv("DFLIX_DAPR_TESTS") == "1" || os.Getenv("CI") == "true"
}

// requireEnv returns the shared environment, skipping the test when the gate
// is not set and failing it when the gate is set but daprd or Redis cannot be
// had.
func requireEnv(t *testing.T) *testEnv {
	t.Helper()
	if !gated() {
		t.Skip("integration test against a real daprd and Redis: set DFLIX_DAPR_TESTS=1 (CI=true does too) to run it")
	}
	envOnce.Do(func() { env, envErr = setupEnv() })
	if envErr != nil {
		t.Fatalf("dapr integration tests: %v", envErr)
	}
	return env
}

func setupEnv() (*testEnv, error) {
	daprd, err := findDaprd()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dflix-dapr-test-")
	if err != nil {
		return nil, err
	}
	e := &testEnv{daprd: daprd, dir: dir, deadLetterTopic: "deadletters-" + randomID(), postgres: findPostgres()}
	if err := e.startRedis(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return e, nil
}

// findDaprd returns $DFLIX_DAPRD, else the cached build, else daprd on PATH
// or in ~/.dapr/bin.
func findDaprd() (string, error) {
	if p := os.Getenv("DFLIX_DAPRD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("DFLIX_DAPRD=%s: %w", p, err)
		}
		return p, nil
	}
	home, _ := os.UserHomeDir()
	for _, p := range []string{filepath.Join(home, daprdCache), filepath.Join(home, ".dapr/bin/daprd")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath("daprd"); err == nil {
		return p, nil
	}
	return "", errors.New("daprd not found: set DFLIX_DAPRD, build it with scripts/daprd.sh (into ~/" + daprdCache + ") or put it on PATH")
}

// startRedis uses the Redis listening on redisAddr, or starts redis-server
// there.
func (e *testEnv) startRedis() error {
	if redisUp() {
		return nil
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("nothing listens on %s and redis-server is not installed (apt-get install redis-server, or scripts/infra.sh up redis)", redisAddr)
	}
	host, port, _ := net.SplitHostPort(redisAddr)
	cmd := exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no")
	cmd.Dir = e.dir
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	e.redis = cmd
	deadline := time.Now().Add(10 * time.Second)
	for !redisUp() {
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server did not listen on %s within 10s", redisAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// findPostgres returns $DFLIX_DAPR_POSTGRES, else defaultPostgres when
// something listens on its port, else "".
func findPostgres() string {
	if p := os.Getenv("DFLIX_DAPR_POSTGRES"); p != "" {
		return p
	}
	conn, err := net.DialTimeout("tcp", "127.0.0.1:15432", 200*time.Millisecond)
	if err != nil {
		return ""
	}
	_ = conn.Close()
	return defaultPostgres
}

func redisUp() bool {
	conn, err := net.DialTimeout("tcp", redisAddr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 7)
	n, _ := conn.Read(buf)
	return string(buf[:n]) == "+PONG\r\n"
}

func (e *testEnv) close() {
	if e.redis != nil {
		_ = e.redis.Process.Kill()
		_ = e.redis.Wait()
	}
	_ = os.RemoveAll(e.dir)
}
