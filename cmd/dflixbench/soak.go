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

// `dflixbench soak` holds N simulated viewers on each mode for a while and
// says whether the platform stayed healthy: no 5xx (nor a GraphQL INTERNAL
// or UNAVAILABLE, nor a broken connection) and flat memory. `make soak`
// runs it at full length into bench/soak.json; e2e's TestSoakQuick runs a
// short one in make test.

// SoakSpec is how a soak pushes, the same for every mode.
type SoakSpec struct {
	Viewers   int     `json:"viewers"`
	Seconds   float64 `json:"seconds"` // of load per mode
	Videos    int     `json:"seededVideos"`
	ThinkMinS float64 `json:"thinkMinSeconds"`
	ThinkMaxS float64 `json:"thinkMaxSeconds"`
	// WindowS is the memory window: the last WindowS seconds of a mode's
	// load, over which RSS may grow by at most GrowthLimitPct.
	WindowS        float64 `json:"memoryWindowSeconds"`
	GrowthLimitPct float64 `json:"growthLimitPct"`
	Seed           uint64  `json:"seed"`
	duration       time.Duration
	thinkMin       time.Duration
	thinkMax       time.Duration
}

// SoakResults is bench/soak.json.
type SoakResults struct {
	Started  time.Time         `json:"started"`
	Seconds  float64           `json:"seconds"`
	Command  string            `json:"command"`
	Machine  Machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	Spec     SoakSpec          `json:"spec"`
	Modes    []*SoakMode       `json:"modes"`
	Passed   bool              `json:"passed"`
	// Failed holds the error of each mode that could not run to the end.
	Failed map[string]string `json:"failed,omitempty"`
}

// soakModes are the modes a soak can run, in the order it runs them.
var soakModes = []string{"one-process", "dapr"}

// soakOptions are the soak command's flags besides the spec.
type soakOptions struct {
	modes, out, bin, root string
	keep                  bool
	timeout               time.Duration
}

func parseSoakFlags(args []string) (SoakSpec, soakOptions) {
	fs := flag.NewFlagSet("soak", flag.ExitOnError)
	var (
		spec SoakSpec
		o    soakOptions
		wind time.Duration
	)
	fs.IntVar(&spec.Viewers, "viewers", 200, "concurrent simulated viewers, each its own account")
	fs.DurationVar(&spec.duration, "duration", 2*time.Minute, "load per mode")
	fs.DurationVar(&wind, "window", 0, "memory window: the last part of the load whose RSS growth is judged (default half the duration)")
	fs.Float64Var(&spec.GrowthLimitPct, "growth-limit", 10, "largest RSS growth over the window, in percent")
	fs.IntVar(&spec.Videos, "videos", 300, "generated videos seeded beside the demo catalog")
	fs.DurationVar(&spec.thinkMin, "think-min", 500*time.Millisecond, "a viewer's shortest pause between two actions")
	fs.DurationVar(&spec.thinkMax, "think-max", 3*time.Second, "a viewer's longest pause between two actions")
	fs.Uint64Var(&spec.Seed, "seed", 1, "seed of the viewers' choices and pauses")
	fs.StringVar(&o.modes, "modes", strings.Join(soakModes, ","), "modes to soak, in order")
	fs.StringVar(&o.out, "out", "bench/soak.json", "where the results go")
	fs.StringVar(&o.bin, "bin", "bin", "folder holding the dflix and daprrun binaries")
	fs.StringVar(&o.root, "root", ".", "the repository root")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch folder (logs of every process)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up after this long")
	_ = fs.Parse(args)
	if wind <= 0 {
		wind = spec.duration / 2
	}
	spec.Seconds, spec.WindowS = spec.duration.Seconds(), wind.Seconds()
	spec.ThinkMinS, spec.ThinkMaxS = spec.thinkMin.Seconds(), spec.thinkMax.Seconds()
	return spec, o
}

func runSoakCommand(args []string) int {
	spec, o := parseSoakFlags(args)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := spec.check(); err != nil {
		log.Error("dflixbench soak", "err", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	env, err := newEnv(o.root, o.bin, false, log)
	if err != nil {
		log.Error("dflixbench soak", "err", err)
		return 2
	}
	defer env.cleanup(o.keep)

	res := &SoakResults{Started: time.Now().UTC(), Command: strings.Join(os.Args, " "), Spec: spec, Failed: map[string]string{}}
	res.Machine = readMachine()
	res.Versions = readVersions(ctx, env)
	for _, mode := range strings.Split(o.modes, ",") {
		mode = strings.TrimSpace(mode)
		log.Info("soak", "mode", mode, "viewers", spec.Viewers, "duration", spec.duration)
		m, err := soakMode(ctx, env, mode, spec)
		if m != nil {
			res.Modes = append(res.Modes, m)
		}
		if err != nil {
			log.Error("soak failed", "mode", mode, "err", err)
			res.Failed[mode] = err.Error()
		}
		env.stopEverything()
		if ctx.Err() != nil {
			break
		}
	}
	res.Seconds = round1(time.Since(res.Started).Seconds())
	res.Passed = len(res.Failed) == 0 && len(res.Modes) > 0
	for _, m := range res.Modes {
		res.Passed = res.Passed && m.Passed
	}
	if err := writeSoak(o.out, res); err != nil {
		log.Error("write results", "err", err)
		return 1
	}
	printSoak(os.Stdout, res)
	log.Info("soak done", "passed", res.Passed, "results", o.out, "took", time.Duration(res.Seconds*float64(time.Second)).Round(time.Second))
	if !res.Passed {
		return 1
	}
	return 0
}

func (s SoakSpec) check() error {
	switch {
	case s.Viewers < 1:
		return errors.New("-viewers must be at least 1")
	case s.duration < 10*time.Second:
		return errors.New("-duration must be at least 10s: a shorter soak says nothing about memory")
	case s.WindowS > s.Seconds:
		return fmt.Errorf("-window (%.0fs) is longer than -duration (%.0fs)", s.WindowS, s.Seconds)
	case s.thinkMin <= 0 || s.thinkMax < s.thinkMin:
		return errors.New("-think-min must be positive and at most -think-max")
	}
	return nil
}

// soakMode starts mode's platform, prepares its catalog, media and
// viewers, runs the load and judges it. It returns the figures it has even
// when it fails part way.
func soakMode(ctx context.Context, env *Env, mode string, spec SoakSpec) (*SoakMode, error) {
	began := time.Now()
	pl, err := startSoakPlatform(ctx, env, mode)
	if err != nil {
		return nil, err
	}
	env.Log.Info("soak started", "mode", mode, "took", time.Since(began).Round(time.Second))
	if err := pl.seedVideos(ctx, spec.Videos); err != nil {
		return nil, err
	}
	playable, err := playableVideos(ctx, pl)
	if err != nil {
		return nil, err
	}
	env.Log.Info("soak seeded", "mode", mode, "videos", spec.Videos, "took", time.Since(began).Round(time.Second))
	tokens, err := signUpViewers(ctx, pl, spec.Viewers)
	if err != nil {
		return nil, err
	}
	setup := time.Since(began)
	env.Log.Info("soak load", "mode", mode, "setup", setup.Round(time.Second), "viewers", len(tokens), "playable", len(playable))
	m := runSoakLoad(ctx, pl, spec, tokens, playable)
	m.SetupSeconds = round1(setup.Seconds())
	if ctx.Err() != nil {
		return m, ctx.Err()
	}
	if pl.Proc.Exited() {
		m.Passed = false
		m.Problems = append(m.Problems, "the platform exited during the soak")
	}
	return m, nil
}

func writeSoak(path string, res *SoakResults) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
