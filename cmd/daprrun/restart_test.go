package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/platformtest"
)

// fakeChild writes a script that appends its pid to dir/<name>.pids, says
// so on its output and then sleeps: a stand-in for daprd or an app that
// tells the test each start.
func fakeChild(t *testing.T, dir, name string) string {
	t.Helper()
	path := filepath.Join(dir, name+".sh")
	script := fmt.Sprintf("#!/bin/sh\necho $$ >> %q\necho started $$\nexec sleep 600\n", filepath.Join(dir, name+".pids"))
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

// pids reads the pids a fake child wrote, one per start.
func pids(t *testing.T, dir, name string) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name+".pids"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var out []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		require.NoError(t, err)
		out = append(out, pid)
	}
	return out
}

// TestSuperviseRestart kills a fake app and its fake sidecar with SIGKILL
// under supervise: with -restart each comes back, logged, and a signal
// still stops everything with status 0; with -keep-going alone the app
// stays dead and the status is 1.
func TestSuperviseRestart(t *testing.T) {
	tests := []struct {
		name       string
		restart    bool
		wantStarts int // starts of each killed child
		wantStatus int
	}{
		{name: "restart", restart: true, wantStarts: 2, wantStatus: 0},
		{name: "keep going", restart: false, wantStarts: 1, wantStatus: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "dapr"), 0o755)) // daprd's working directory
			a := app{ID: "web", Name: "web", Dir: dir, Command: []string{fakeChild(t, dir, "web")},
				Port: 1, Protocol: "http", ChannelAddress: "127.0.0.1", HTTPPort: 1, GRPCPort: 2, LogLevel: "info"}
			o := options{daprd: fakeChild(t, dir, "daprd"), runDir: dir, keepGoing: true, restart: tt.restart,
				restartDelay: 20 * time.Millisecond, grace: 5 * time.Second, readyTimeout: time.Hour}
			logs := &platformtest.Buffer{}
			out := &output{w: logs, width: 12, dir: filepath.Join(dir, "logs")}
			sigs := make(chan os.Signal, 2)
			status := make(chan int, 1)
			go func() { status <- supervise(out, o, []app{a}, sigs) }()

			for _, child := range []string{"web", "daprd"} {
				require.Eventually(t, func() bool { return len(pids(t, dir, child)) == 1 }, 10*time.Second, 10*time.Millisecond, "%s started: %s", child, logs)
				require.NoError(t, syscall.Kill(pids(t, dir, child)[0], syscall.SIGKILL))
				name := map[string]string{"web": "web", "daprd": "web.daprd"}[child]
				require.Eventually(t, func() bool {
					return strings.Contains(logs.String(), name+" was killed by signal killed, unexpectedly")
				}, 10*time.Second, 10*time.Millisecond, logs.String())
				if tt.restart {
					require.Eventually(t, func() bool { return len(pids(t, dir, child)) == 2 }, 10*time.Second, 10*time.Millisecond, "%s restarted", child)
					assert.Contains(t, logs.String(), name+": restarted (pid ")
					assert.Contains(t, logs.String(), "restarting it in 20ms (restart 1)")
				}
			}

			sigs <- syscall.SIGTERM
			select {
			case got := <-status:
				assert.Equal(t, tt.wantStatus, got)
			case <-time.After(30 * time.Second):
				t.Fatal("supervise did not return after SIGTERM")
			}
			for _, child := range []string{"web", "daprd"} {
				started := pids(t, dir, child)
				assert.Len(t, started, tt.wantStarts, child)
				for _, pid := range started {
					assert.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH, "%s pid %d is gone", child, pid)
				}
			}
			assert.NotContains(t, logs.String(), "stopping everything (use -keep-going")
			web, err := os.ReadFile(filepath.Join(dir, "logs", "web.log"))
			require.NoError(t, err)
			assert.Equal(t, tt.wantStarts, strings.Count(string(web), "started "), "a restart appends to the log file:\n%s", web)
		})
	}
}

// TestRestarterBackoff: a child that keeps dying young waits twice as long
// each time, up to the cap; one that ran a while waits the base delay.
func TestRestarterBackoff(t *testing.T) {
	r := newRestarter(time.Second)
	defer r.stop()
	young := &proc{name: "catalog", started: time.Now()}
	var got []time.Duration
	for range 6 {
		d, _ := r.schedule(young)
		got = append(got, d)
	}
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}, got)

	old := &proc{name: "catalog", started: time.Now().Add(-healthyRun)}
	d, n := r.schedule(old)
	assert.Equal(t, time.Second, d, "a child that ran %s starts over", healthyRun)
	assert.Equal(t, 7, n)
	other, _ := r.schedule(&proc{name: "auth", started: time.Now()})
	assert.Equal(t, time.Second, other, "delays are per child")
}
