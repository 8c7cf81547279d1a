package encoder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// waitDelay bounds how long a canceled tool may take to go, and how long
// its output pipes are read after it exited.
const waitDelay = 5 * time.Second

// tailLines is how many lines of a tool's stderr are kept for a reason.
const tailLines = 20

// toolRun is the run of one ffmpeg or ffprobe: stdout and stderr go line by
// line to the callbacks (called from one goroutine each), and the last
// lines of stderr are kept for the error message.
type toolRun struct {
	name     string
	args     []string
	onStdout func(line string)
	onStderr func(line string)
	stdout   *bytes.Buffer // when set, stdout is collected here instead
}

// toolResult is what a finished run left: its CPU time and its stderr's
// last lines.
type toolResult struct {
	CPU  time.Duration
	Tail []string
}

// toolError is a tool that ran and exited unsuccessfully.
type toolError struct {
	Tool     string
	ExitCode int // -1 when killed by a signal
	Tail     []string
}

func (e *toolError) Error() string {
	return fmt.Sprintf("%s exited with status %d: %s", e.Tool, e.ExitCode, strings.Join(e.Tail, "; "))
}

// exec runs the tool until it exits or ctx ends; when ctx ends the tool and
// its children are killed (SIGKILL to its process group) and exec returns
// once they are gone.
//
// Errors: a *toolError when the tool exits unsuccessfully; the start
// failure or ctx's error (wrapped) otherwise.
func (t toolRun) exec(ctx context.Context) (toolResult, error) {
	cmd := exec.CommandContext(ctx, t.name, t.args...)
	ownGroup(cmd)
	cmd.WaitDelay = waitDelay
	tail := &tailWriter{max: tailLines, each: t.onStderr}
	cmd.Stderr = tail
	switch {
	case t.stdout != nil:
		cmd.Stdout = t.stdout
	case t.onStdout != nil:
		cmd.Stdout = &lineWriter{each: t.onStdout}
	}
	err := cmd.Run()
	res := toolResult{Tail: tail.lines()}
	if cmd.ProcessState != nil {
		res.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("encoder: %s: %w", t.name, ctx.Err())
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return res, &toolError{Tool: t.name, ExitCode: exit.ExitCode(), Tail: res.Tail}
	}
	if err != nil {
		return res, fmt.Errorf("encoder: run %s: %w", t.name, err)
	}
	return res, nil
}

// lineWriter calls each for every complete line written to it.
type lineWriter struct {
	each func(line string)
	buf  []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexAny(w.buf, "\r\n")
		if i < 0 {
			break
		}
		if line := strings.TrimSpace(string(w.buf[:i])); line != "" && w.each != nil {
			w.each(line)
		}
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) > 64<<10 { // a runaway line: keep memory flat
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// tailWriter keeps the last max lines written to it and passes every line
// to each.
type tailWriter struct {
	max  int
	each func(line string)
	mu   sync.Mutex
	tail []string
	lw   lineWriter
}

func (w *tailWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lw.each = w.add
	return w.lw.Write(p)
}

func (w *tailWriter) add(line string) {
	w.tail = append(w.tail, line)
	if len(w.tail) > w.max {
		w.tail = w.tail[len(w.tail)-w.max:]
	}
	if w.each != nil {
		w.each(line)
	}
}

// lines returns the kept lines.
func (w *tailWriter) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.tail...)
}
