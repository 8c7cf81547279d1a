package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one process a section started; its output goes to Logs/<name>.log.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
	// lines receives stdout lines while someone waits for one (waitLine).
	mu    sync.Mutex
	watch func(line string)
	// shared processes outlive the section that started them (stopAll
	// leaves them) and are stopped at the end of the run (stopEverything).
	shared bool
}

// ProcSpec says how to start a process.
type ProcSpec struct {
	Name string
	Argv []string
	Dir  string
	Env  []string // added to this process's environment
}

// start runs spec in its own process group and registers it for stopAll.
func (e *Env) start(spec ProcSpec) (*Proc, error) {
	f, err := os.Create(filepath.Join(e.Logs, spec.Name+".log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Dir = spec.Dir
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	cmd.Stderr = f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", spec.Name, err)
	}
	p := &Proc{Name: spec.Name, Cmd: cmd, log: f, done: make(chan struct{})}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			p.mu.Lock()
			w := p.watch
			p.mu.Unlock()
			if w != nil {
				w(line)
			}
		}
		_, _ = io.Copy(f, stdout)
	}()
	go func() {
		<-copied
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	e.procs = append(e.procs, p)
	e.Log.Info("started", "proc", spec.Name, "pid", cmd.Process.Pid, "log", f.Name())
	return p, nil
}

// PID is the process's id.
func (p *Proc) PID() int { return p.Cmd.Process.Pid }

// Set is the process and its descendants.
func (p *Proc) Set() ProcSet { return ProcSet{Roots: []int{p.PID()}} }

// Exited tells whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitLine waits until the process prints a line for which match returns a
// non-empty string, and returns that string.
func (p *Proc) waitLine(ctx context.Context, timeout time.Duration, match func(string) string) (string, error) {
	found := make(chan string, 1)
	p.mu.Lock()
	p.watch = func(line string) {
		if s := match(line); s != "" {
			select {
			case found <- s:
			default:
			}
		}
	}
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.watch = nil; p.mu.Unlock() }()
	select {
	case s := <-found:
		return s, nil
	case <-p.done:
		return "", fmt.Errorf("%s exited before it was ready (%v): see %s", p.Name, p.err, p.log.Name())
	case <-time.After(timeout):
		return "", fmt.Errorf("%s not ready after %v: see %s", p.Name, timeout, p.log.Name())
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Stop sends SIGTERM to the process group and SIGKILL after grace.
func (p *Proc) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.PID(), syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-p.PID(), syscall.SIGKILL)
		<-p.done
	}
}

// stopAll stops every process a section started, newest first, except the
// shared platforms.
func (e *Env) stopAll() {
	var keep []*Proc
	for i := len(e.procs) - 1; i >= 0; i-- {
		if p := e.procs[i]; p.shared && !p.Exited() {
			keep = append([]*Proc{p}, keep...)
		} else {
			p.Stop(15 * time.Second)
		}
	}
	e.procs = keep
}

// stopEverything stops every process still running, shared ones included.
func (e *Env) stopEverything() {
	for i := len(e.procs) - 1; i >= 0; i-- {
		e.procs[i].Stop(30 * time.Second)
	}
	e.procs, e.one, e.dapr = nil, nil, nil
}

// waitHTTP polls url until it answers 200.
func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s not ready after %v: %w", url, timeout, last)
}

// script runs one of the repository's scripts and returns its stdout.
func (e *Env) script(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(e.Root, "scripts", name), args...)
	cmd.Dir = e.Root
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("scripts/%s %s: %w: %s", name, strings.Join(args, " "), err, tailLines(errb.String(), 20))
	}
	return out.String(), nil
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var errExited = errors.New("exited")
