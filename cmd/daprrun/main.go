// Command daprrun starts every app of a dapr CLI multi-app run file
// (dapr/dapr.yaml) beside its own daprd sidecar, without the dapr CLI:
// `make dapr-run` runs it.
//
// It starts the component set's servers (scripts/infra.sh up SET), finds a
// daprd 1.14.0 (scripts/daprd.sh), then for each app starts daprd with the
// app's ports, resources and config, and the app's command with DAPR_HTTP_PORT,
// DAPR_GRPC_PORT, APP_PORT and DFLIX_ADDR set. Every output line is prefixed
// with its process's name ("catalog", "catalog.daprd") and also written to
// RUN_DIR/logs/<name>.log. Once every sidecar answers /v1.0/healthz it prints
// "daprrun: ready". Ctrl-C or SIGTERM stops everything: SIGTERM to each
// process group, SIGKILL after -grace.
//
// A child that exits on its own is logged and, by default, stops the rest:
// daprrun then exits 1, so a test or a terminal sees the failure at once.
// With -keep-going the others run on. With -restart daprrun starts it again
// after a short delay (a sidecar beside its running app, an app beside its
// running sidecar) and logs each restart, so a platform under kill -9 comes
// back whole. Exit status: 0 after a stop by signal, 1 when a child failed
// (and was not restarted) or readiness timed out, 2 for bad flags or run file.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	runFile      string
	components   string
	apps         string
	runDir       string
	daprd        string
	root         string
	infra        bool
	sidecarsOnly bool
	keepGoing    bool
	restart      bool
	restartDelay time.Duration
	grace        time.Duration
	readyTimeout time.Duration
	logDir       string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func defaultRunDir() string {
	if d := os.Getenv("DFLIX_RUN_DIR"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "dflix", "run")
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("daprrun", flag.ContinueOnError)
	fs.SetOutput(stderr)
	set := os.Getenv("COMPONENTS")
	if set == "" {
		set = "redis"
	}
	fs.StringVar(&o.runFile, "f", "dapr/dapr.yaml", "the multi-app run file")
	fs.StringVar(&o.components, "components", set, "component set: a folder of components/ (default $COMPONENTS, else redis)")
	fs.StringVar(&o.apps, "apps", "", "comma-separated apps to start, by name: the app id, or bff-2 for the second app with id bff (default: every app of the run file)")
	fs.StringVar(&o.runDir, "run-dir", defaultRunDir(), "run dir: daprd's working directory is RUN_DIR/dapr (default $DFLIX_RUN_DIR)")
	fs.StringVar(&o.daprd, "daprd", "", "daprd binary (default: what scripts/daprd.sh prints)")
	fs.StringVar(&o.root, "root", "", "repository root holding scripts/ (default: the run file's folder's parent)")
	fs.BoolVar(&o.infra, "infra", true, "start the component set's servers with scripts/infra.sh up SET")
	fs.BoolVar(&o.sidecarsOnly, "sidecars-only", false, "start the sidecars alone, without the apps")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "when a child exits on its own, keep the others running")
	fs.BoolVar(&o.restart, "restart", false, "start a child that exits on its own again, after -restart-delay (doubled, up to 10s, while it keeps exiting within 10s of its start); implies -keep-going")
	fs.DurationVar(&o.restartDelay, "restart-delay", 500*time.Millisecond, "how long -restart waits before starting a child again")
	fs.DurationVar(&o.grace, "grace", 10*time.Second, "how long children get to exit after SIGTERM")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 2*time.Minute, "how long the sidecars get to become healthy")
	fs.StringVar(&o.logDir, "log-dir", "", "folder for one log file per process (default RUN_DIR/logs; \"-\" for none)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.root == "" {
		abs, err := filepath.Abs(o.runFile)
		if err != nil {
			return o, err
		}
		o.root = filepath.Dir(filepath.Dir(abs))
	}
	switch o.logDir {
	case "":
		o.logDir = filepath.Join(o.runDir, "logs")
	case "-":
		o.logDir = ""
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "daprrun:", err)
		}
		return 2
	}
	apps, err := loadRunFile(o.runFile)
	if err == nil {
		apps, err = withComponents(apps, o.components)
	}
	if err == nil {
		apps, err = selectApps(apps, o.apps)
	}
	if err != nil {
		fmt.Fprintln(stderr, "daprrun:", err)
		return 2
	}
	out := &output{w: stdout, width: nameWidth(apps), dir: o.logDir}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)

	if err := prepare(out, &o); err != nil {
		out.logf("%v", err)
		return 1
	}
	return supervise(out, o, apps, sigs)
}

// prepare starts the servers of the component set and finds daprd.
func prepare(out *output, o *options) error {
	if err := os.MkdirAll(filepath.Join(o.runDir, "dapr"), 0o755); err != nil {
		return err
	}
	env := append(os.Environ(), "DFLIX_RUN_DIR="+o.runDir)
	if o.infra {
		out.logf("starting the servers of component set %s", o.components)
		if _, err := script(out, "infra", env, filepath.Join(o.root, "scripts", "infra.sh"), "up", o.components); err != nil {
			return err
		}
	}
	if o.daprd == "" {
		path, err := script(out, "daprd.sh", env, filepath.Join(o.root, "scripts", "daprd.sh"))
		if err != nil {
			return err
		}
		o.daprd = strings.TrimSpace(path)
	}
	out.logf("daprd: %s", o.daprd)
	return nil
}

// script runs a helper script, its stderr prefixed into out; it returns the
// script's stdout.
func script(out *output, name string, env []string, argv ...string) (string, error) {
	w, wait, err := out.pipe(name)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout = &buf
	cmd.Stderr = w
	err = cmd.Run()
	_ = w.Close()
	wait()
	if err != nil {
		return "", fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return buf.String(), nil
}

// supervise starts every sidecar and app, waits for readiness, and then for a
// signal or a child's exit.
func supervise(out *output, o options, apps []app, sigs <-chan os.Signal) int {
	exited := make(chan *proc, 2*len(apps))
	var procs []*proc
	status := 0
	fail := func(format string, args ...any) int {
		out.logf(format, args...)
		stopAll(out, procs, o.grace)
		return 1
	}
	for _, a := range apps {
		argv := append([]string{o.daprd}, daprdArgs(a, !o.sidecarsOnly)...)
		p, err := start(out, a.Name+".daprd", filepath.Join(o.runDir, "dapr"), daprdEnv(), argv, exited)
		if err != nil {
			return fail("%v", err)
		}
		procs = append(procs, p)
		out.logf("%s: sidecar http://127.0.0.1:%d grpc :%d metrics :%d resources %s",
			a.Name, a.HTTPPort, a.GRPCPort, a.MetricsPort, strings.Join(a.Resources, ","))
		if o.sidecarsOnly {
			continue
		}
		p, err = start(out, a.Name, a.Dir, appEnv(a), a.Command, exited)
		if err != nil {
			return fail("%v", err)
		}
		procs = append(procs, p)
		out.logf("%s: app http://127.0.0.1:%d (%s)", a.Name, a.Port, strings.Join(a.Command, " "))
	}

	ready := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), o.readyTimeout)
	defer cancel()
	go func() { ready <- waitHealthy(ctx, apps) }()

	var rs *restarter
	var due <-chan *proc // nil, so never ready, without -restart
	if o.restart {
		rs = newRestarter(o.restartDelay)
		defer rs.stop()
		due = rs.due
	}
	running := len(procs)
	for running > 0 || (rs != nil && rs.pending > 0) {
		select {
		case err := <-ready:
			if err != nil {
				return fail("not ready after %s: %v", o.readyTimeout, err)
			}
			out.logf("ready: %d app(s), component set %s", len(apps), o.components)
		case sig := <-sigs:
			out.logf("%s: stopping everything", sig)
			cancel()
			go func() {
				<-sigs
				out.logf("second signal: killing everything")
				for _, p := range procs {
					p.signal(syscall.SIGKILL)
				}
			}()
			stopAll(out, procs, o.grace)
			return status
		case p := <-exited:
			running--
			if p.stopping() {
				continue
			}
			if rs != nil {
				delay, n := rs.schedule(p)
				out.logf("%s %s, unexpectedly: restarting it in %s (restart %d)", p.name, p.describe(), delay, n)
				continue
			}
			out.logf("%s %s, unexpectedly", p.name, p.describe())
			status = 1
			if !o.keepGoing {
				cancel()
				return fail("stopping everything (use -keep-going to keep the others running)")
			}
		case old := <-due:
			rs.taken()
			p, err := restart(out, old, procs, exited)
			if err != nil {
				delay, n := rs.schedule(old)
				out.logf("%v: retrying in %s (restart %d)", err, delay, n)
				continue
			}
			running++
			out.logf("%s: restarted (pid %d)", p.name, p.cmd.Process.Pid)
		}
	}
	out.logf("every process has exited")
	return status
}

// waitHealthy polls every sidecar's /v1.0/healthz until each answers 2xx.
// With an app, daprd answers so once it reached the app and loaded its
// components and subscriptions.
func waitHealthy(ctx context.Context, apps []app) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for _, a := range apps {
		url := fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz", a.HTTPPort)
		for {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := client.Do(req)
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					break
				}
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s's sidecar (%s) is not healthy", a.Name, url)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

func nameWidth(apps []app) int {
	w := len("daprd.sh")
	for _, a := range apps {
		w = max(w, len(a.Name+".daprd"))
	}
	return w
}
