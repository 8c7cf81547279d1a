package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/platformtest"
)

const (
	adminEmail    = "root@dflix.test"
	adminPassword = "root-password-123"
	readyPrefix   = "dflix ready at "
)

// instance is one running dflix process.
type instance struct {
	t       *testing.T
	cmd     *exec.Cmd
	URL     string // base URL, e.g. http://127.0.0.1:41234
	logs    *platformtest.Buffer
	done    chan struct{}
	waitErr error
}

// start runs dflix --target=all on dataDir and waits until it is ready.
func start(t *testing.T, dataDir string, extraArgs ...string) *instance {
	t.Helper()
	args := append([]string{"--target=all"}, extraArgs...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(),
		"DFLIX_ADDR=127.0.0.1:0",
		"DFLIX_DATA_DIR="+dataDir,
		"DFLIX_LOG_FORMAT=json",
		"DFLIX_ARGON2_MEMORY_MIB=8",
		"DFLIX_ADMIN_EMAIL="+adminEmail,
		"DFLIX_ADMIN_PASSWORD="+adminPassword,
		// --seed-demo would also encode the demo clips: only the media tests
		// ask for that (--demo-media).
		"DFLIX_DEMO_MEDIA=false",
		"DFLIX_ENCODER_PRESET=ultrafast",
	)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	logs := &platformtest.Buffer{}
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	in := &instance{t: t, cmd: cmd, logs: logs, done: make(chan struct{})}
	urlc := make(chan string, 1)
	go in.readStdout(stdout, urlc)
	go func() { in.waitErr = cmd.Wait(); close(in.done) }()
	t.Cleanup(func() { in.stop() })
	select {
	case in.URL = <-urlc:
	case <-in.done:
		t.Fatalf("dflix exited before it was ready: %v\n%s", in.waitErr, logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("dflix not ready within 60s\n%s", logs.String())
	}
	return in
}

func (in *instance) readStdout(r io.Reader, urlc chan<- string) {
	sc := bufio.NewScanner(r)
	sent := false
	for sc.Scan() {
		line := sc.Text()
		in.logs.Write([]byte(line + "\n"))
		if i := strings.Index(line, readyPrefix); i >= 0 && !sent {
			urlc <- strings.TrimSpace(line[i+len(readyPrefix):])
			sent = true
		}
	}
}

// kill sends SIGKILL: no shutdown hook runs, no buffer is flushed.
func (in *instance) kill() {
	in.t.Helper()
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.done
}

// stop asks for a graceful shutdown and waits for the process to exit.
func (in *instance) stop() {
	select {
	case <-in.done:
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.done:
	case <-time.After(20 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.done
	}
}

// exitedCleanly reports whether a stopped process exited with status 0.
func (in *instance) exitedCleanly(ctx context.Context) bool {
	select {
	case <-in.done:
		return in.waitErr == nil
	case <-ctx.Done():
		return false
	}
}
