package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// output writes whole lines from many processes to one writer, each line
// prefixed with its process's name, and a copy to a log file per process.
type output struct {
	mu     sync.Mutex
	w      io.Writer
	width  int
	dir    string          // log folder; "" for none
	opened map[string]bool // names whose log file this run has begun
}

// line writes one prefixed line.
func (o *output) line(name, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(o.w, "%-*s | %s\n", o.width, name, text)
}

// logf writes one line of daprrun's own.
func (o *output) logf(format string, args ...any) {
	o.line("daprrun", fmt.Sprintf(format, args...))
}

// logFlags opens a process's log file afresh at its first start in this
// run and appends at a restart, so the log keeps why it had to restart.
func (o *output) logFlags(name string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.opened == nil {
		o.opened = map[string]bool{}
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if !o.opened[name] {
		flags |= os.O_TRUNC
	}
	o.opened[name] = true
	return flags
}

// pipe returns a writer for a process's stdout and stderr whose lines go to
// o under name; wait returns once the reading is done (every writer closed).
func (o *output) pipe(name string) (w *os.File, wait func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	var file *os.File
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o755); err == nil {
			file, _ = os.OpenFile(filepath.Join(o.dir, name+".log"), o.logFlags(name), 0o644)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
		for sc.Scan() {
			o.line(name, sc.Text())
			if file != nil {
				fmt.Fprintln(file, sc.Text())
			}
		}
		if file != nil {
			_ = file.Close()
		}
	}()
	return w, func() { <-done }, nil
}

// proc is one supervised child process, in its own process group so that a
// Ctrl-C at the terminal reaches daprrun alone and daprrun decides the order.
type proc struct {
	name string
	// dir, env and argv started it; -restart starts them again.
	dir     string
	env     []string
	argv    []string
	started time.Time
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	err     error         // its exit status, once done
	stopMu  sync.Mutex
	stop    bool // daprrun asked it to stop
}

// start starts a child whose output goes to out under name; exited receives
// it once it has exited.
func start(out *output, name, dir string, env, argv []string, exited chan<- *proc) (*proc, error) {
	w, wait, err := out.pipe(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = nil
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		_ = w.Close()
		wait()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	_ = w.Close() // the child holds its own copy
	p := &proc{name: name, dir: dir, env: env, argv: argv, started: time.Now(), cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		wait()
		close(p.done)
		exited <- p
	}()
	return p, nil
}

// signal sends sig to the child's whole process group.
func (p *proc) signal(sig syscall.Signal) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
}

func (p *proc) markStopping() {
	p.stopMu.Lock()
	p.stop = true
	p.stopMu.Unlock()
}

func (p *proc) stopping() bool {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	return p.stop
}

// describe says how a child ended.
func (p *proc) describe() string {
	var ee *exec.ExitError
	switch {
	case p.err == nil:
		return "exited with status 0"
	case errors.As(p.err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "was killed by signal " + ws.Signal().String()
		}
		return fmt.Sprintf("exited with status %d", ee.ExitCode())
	default:
		return p.err.Error()
	}
}

// stopAll sends SIGTERM to every child still running, waits up to grace for
// them to exit, then sends SIGKILL to the rest and waits for them.
func stopAll(out *output, procs []*proc, grace time.Duration) {
	for _, p := range procs {
		p.markStopping()
		p.signal(syscall.SIGTERM)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
wait:
	for _, p := range procs {
		select {
		case <-p.done:
		case <-timer.C:
			break wait
		}
	}
	for _, p := range procs {
		select {
		case <-p.done:
		default:
			out.logf("%s did not stop within %s: killing it", p.name, grace)
			p.signal(syscall.SIGKILL)
			<-p.done
		}
	}
}
