// Command dflixbench measures dflix's trade-offs side by side, in one run on
// one machine, and writes the figures: bench/results.json for machines and
// docs/benchmarks.md, docs/monolith-vs-microservices.md and
// docs/rpc-vs-messaging.md for people. `make bench` runs it in full (under
// 20 minutes on 2 cores), `make bench-quick` a reduced set (under 3).
//
// Every comparison alternates its two sides round by round (A B B A ...) and
// reports medians over the rounds, p99 and the ratio B/A. CPU and memory
// are read from /proc for every process a side runs on (dflix, its Dapr
// sidecars, nginx, PostgreSQL), so a figure "per 1,000 requests" counts the
// whole platform, not only the process in front. The load driver runs on
// the same cores as what it measures, on both sides alike.
//
// `dflixbench soak` (soak.go, `make soak`) is a separate run: simulated
// viewers on each mode for minutes, judged on errors and memory.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Env is what every section shares: where things are and how hard to push.
type Env struct {
	Root  string // the repository
	Bin   string // dflix, daprrun and the other binaries the run built
	Work  string // scratch space, removed at the end
	Logs  string // one log file per process started
	Quick bool   // the reduced set: shorter rounds, smaller catalogs
	Log   *slog.Logger
	procs []*Proc
	// The platforms sections share (startOneProcess, startDapr).
	one, dapr *Platform
}

// Results is everything one run measured; it is bench/results.json.
type Results struct {
	Mode     string            `json:"mode"` // "full" or "quick"
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"seconds"`
	Command  string            `json:"command"`
	Machine  Machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	Edge     *EdgeResults      `json:"edge,omitempty"`
	Dapr     *DaprResults      `json:"dapr,omitempty"`
	RPC      *RPCResults       `json:"rpcVsMessaging,omitempty"`
	Search   *SearchResults    `json:"search,omitempty"`
	Encoder  *EncoderResults   `json:"encoder,omitempty"`
	Media    *MediaResults     `json:"media,omitempty"`
	// Failed holds the error of each section that could not finish.
	Failed map[string]string `json:"failed,omitempty"`
}

// A section measures one trade-off and stores its figures in res.
type section struct {
	name string
	run  func(ctx context.Context, env *Env, res *Results) error
}

// sections in the order they run. They share the running platforms
// (platform.go): media first, so the demo clips are encoded before edge and
// dapr load the one-process mode; rpc last of the Dapr users, since it
// kills and restarts catalog; search and encoder need no platform, and the
// platforms are stopped before them so they measure a quiet machine.
var sections = []section{
	{"media", runMedia},
	{"edge", runEdge},
	{"dapr", runDapr},
	{"rpc", runRPC},
	{"search", runSearch},
	{"encoder", runEncoder},
}

// needsPlatform names the sections that use a running dflix; after the
// last of them the platforms are stopped.
var needsPlatform = map[string]bool{"media": true, "edge": true, "dapr": true, "rpc": true}

func main() {
	os.Exit(run())
}

func run() int {
	if len(os.Args) > 1 && os.Args[1] == "ceiling" {
		return serveCeiling(os.Args[2:])
	}
	if len(os.Args) > 1 && os.Args[1] == "soak" {
		return runSoakCommand(os.Args[2:])
	}
	if len(os.Args) > 1 && os.Args[1] == "render" {
		if err := renderCommand(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "dflixbench:", err)
			return 1
		}
		return 0
	}
	var (
		quick   bool
		only    string
		out     string
		docs    string
		bin     string
		root    string
		keep    bool
		timeout time.Duration
	)
	flag.BoolVar(&quick, "quick", false, "the reduced set (make bench-quick)")
	flag.StringVar(&only, "only", "", "comma-separated sections to run (default all): "+sectionNames())
	flag.StringVar(&out, "out", "bench/results.json", "where the results go")
	flag.StringVar(&docs, "docs", "docs", "folder the documents are written to (\"\" for none)")
	flag.StringVar(&bin, "bin", "bin", "folder holding the dflix and daprrun binaries")
	flag.StringVar(&root, "root", ".", "the repository root")
	flag.BoolVar(&keep, "keep", false, "keep the scratch folder")
	flag.DurationVar(&timeout, "timeout", 30*time.Minute, "give up after this long")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	env, err := newEnv(root, bin, quick, log)
	if err != nil {
		log.Error("dflixbench", "err", err)
		return 2
	}
	defer env.cleanup(keep)

	res := &Results{Mode: "full", Started: time.Now().UTC(), Command: strings.Join(os.Args, " "), Failed: map[string]string{}}
	if quick {
		res.Mode = "quick"
	}
	res.Machine = readMachine()
	res.Versions = readVersions(ctx, env)
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	for _, s := range sections {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		if !needsPlatform[s.name] {
			env.stopEverything() // a quiet machine for what needs no platform
		}
		began := time.Now()
		log.Info("section", "name", s.name)
		if err := s.run(ctx, env, res); err != nil {
			log.Error("section failed", "name", s.name, "err", err)
			res.Failed[s.name] = err.Error()
		} else {
			log.Info("section done", "name", s.name, "took", time.Since(began).Round(time.Second))
		}
		env.stopAll()
		if ctx.Err() != nil {
			break
		}
	}
	res.Seconds = round1(time.Since(res.Started).Seconds())
	if err := writeResults(out, res); err != nil {
		log.Error("write results", "err", err)
		return 1
	}
	if docs != "" {
		if err := writeDocs(docs, res); err != nil {
			log.Error("write docs", "err", err)
			return 1
		}
	}
	log.Info("done", "took", time.Duration(res.Seconds*float64(time.Second)).Round(time.Second), "results", out, "docs", docs)
	if len(res.Failed) > 0 || ctx.Err() != nil {
		return 1
	}
	return 0
}

func sectionNames() string {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	return strings.Join(names, ",")
}

func newEnv(root, bin string, quick bool, log *slog.Logger) (*Env, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(bin) {
		bin = filepath.Join(root, bin)
	}
	for _, b := range []string{"dflix", "daprrun"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("%s not built (make bench builds it): %w", b, err)
		}
	}
	work, err := os.MkdirTemp("", "dflixbench-")
	if err != nil {
		return nil, err
	}
	env := &Env{Root: root, Bin: bin, Work: work, Logs: filepath.Join(work, "logs"), Quick: quick, Log: log}
	return env, os.MkdirAll(env.Logs, 0o755)
}

func (e *Env) cleanup(keep bool) {
	e.stopEverything()
	if keep {
		e.Log.Info("scratch kept", "dir", e.Work)
		return
	}
	_ = os.RemoveAll(e.Work)
}

// pick returns quick in the reduced set, full otherwise.
func pick[T any](e *Env, full, quick T) T {
	if e.Quick {
		return quick
	}
	return full
}

func writeResults(path string, res *Results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// errSkipped marks a figure a section could not take for a reason it states.
var errSkipped = errors.New("skipped")
