package embedded_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/require"
)

// killChildEnv, when set to a bus file, makes the test binary act as the
// child of TestBusSurvivesKill instead of running tests.
const killChildEnv = "DFLIX_EMBEDDED_KILL_CHILD"

const (
	killTopic = "kill-test"
	killSub   = "consumer"
	killAfter = 150 // acknowledged publications before the parent kills the child
)

// runKillChild publishes events on the bus file named by killChildEnv
// forever, printing each event id once Publish has returned, while a
// handler holds every delivery without acknowledging it, until the parent
// kills the process. It returns at once when the variable is unset.
func runKillChild() {
	path := os.Getenv(killChildEnv)
	if path == "" {
		return
	}
	if err := killChild(path); err != nil {
		fmt.Fprintln(os.Stderr, "kill child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func killChild(path string) error {
	ctx := context.Background()
	bus, err := embedded.OpenBus(path, embedded.BusOptions{Logger: quiet()})
	if err != nil {
		return err
	}
	hold := func(ctx context.Context, _ platform.Event) error { <-ctx.Done(); return ctx.Err() }
	if err := bus.Subscribe(ctx, platform.Subscription{Topic: killTopic, Name: killSub, Handle: hold}); err != nil {
		return err
	}
	if err := bus.Start(ctx); err != nil {
		return err
	}
	for i := 0; ; i++ {
		ev, err := platform.NewEvent("kill-child", killTopic, "test.published", time.Now(), i)
		if err != nil {
			return err
		}
		if err := bus.Publish(ctx, ev); err != nil {
			return err
		}
		if _, err := fmt.Println(ev.ID); err != nil {
			return err
		}
	}
}

// TestBusSurvivesKill SIGKILLs a process in the middle of publishing (with
// a delivery in flight) and checks that every event whose Publish returned
// is delivered after the bus file is reopened.
func TestBusSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bus.db")
	acked := runChildUntilKilled(t, path)

	bus := openBus(t, path, embedded.BusOptions{})
	got := newRecorder()
	require.NoError(t, bus.Subscribe(context.Background(), platform.Subscription{Topic: killTopic, Name: killSub, Handle: got.handle}))
	require.NoError(t, bus.Start(context.Background()))
	require.Eventually(t, func() bool { return got.hasAll(acked) }, 10*time.Second, 10*time.Millisecond,
		"every acknowledged event is delivered after kill -9")
}

// runChildUntilKilled runs the child, kills it after killAfter
// acknowledged publications and returns every id it acknowledged.
func runChildUntilKilled(t *testing.T, path string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var acked []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if id := sc.Text(); len(id) == 36 { // a whole uuid line
			acked = append(acked, id)
		}
		if len(acked) == killAfter {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		}
	}
	_ = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child must die by SIGKILL; stderr: %s", stderr.String())
	require.GreaterOrEqual(t, len(acked), killAfter)
	t.Logf("child acknowledged %d events before SIGKILL", len(acked))
	return acked
}
