package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// EncoderResults are the figures of the encoder section: one 1080p clip
// encoded to the whole HLS ladder three ways (services/encoder's
// BenchmarkLadder*), each way once per round, the order alternating from
// round to round. Ratios are against OneRun, the plain ffmpeg command.
type EncoderResults struct {
	Cores        float64        `json:"cores"` // a float for the template's arithmetic
	ClipSeconds  int            `json:"clipSeconds"`
	Rounds       int            `json:"rounds"`
	Command      string         `json:"command"`
	Service      EncoderVariant `json:"service"`
	OneRun       EncoderVariant `json:"oneRun"`
	PerRendition EncoderVariant `json:"perRendition"`
}

// EncoderVariant is one way of encoding the ladder: per round, the CPU
// seconds of every ffmpeg and ffprobe it ran per second of content, and
// its wall time; then the medians and their ratios to OneRun.
type EncoderVariant struct {
	Benchmark      string    `json:"benchmark"`
	CPURounds      []float64 `json:"cpuSecondsPerContentSecondByRound"`
	WallRounds     []float64 `json:"wallSecondsByRound"`
	CPUPerContent  float64   `json:"cpuSecondsPerContentSecond"`
	WallSeconds    float64   `json:"wallSeconds"`
	WallPerContent float64   `json:"wallSecondsPerContentSecond"`
	// CoresBusy is CPU time over wall time: how many cores the variant
	// kept busy on average.
	CoresBusy float64 `json:"meanCoresBusy"`
	// OtherCoresBusy is how many cores work outside the benchmark kept
	// busy while it ran (median over rounds): more than a little, and the
	// wall times are longer than a quiet machine's.
	OtherRounds    []float64 `json:"otherCoresBusyByRound"`
	OtherCoresBusy float64   `json:"otherCoresBusy"`
	CPURatio       float64   `json:"cpuRatioToOneRun"`
	WallRatio      float64   `json:"wallRatioToOneRun"`
}

// runEncoder runs services/encoder's ladder benchmarks. The test binary is
// built once and each variant runs as its own process, so that the order
// can alternate (Service OneRun PerRendition, then the reverse): a machine
// that drifts over the section weighs on every variant alike. The clip is
// generated once and shared by every run (DFLIX_ENCODER_BENCH_CLIP_DIR);
// the quick set encodes a shorter one, where ffmpeg's start-up and the
// service's fixed steps weigh more per second of content.
func runEncoder(ctx context.Context, env *Env, res *Results) error {
	if _, err := env.script(ctx, "infra.sh", "install", "ffmpeg"); err != nil {
		return fmt.Errorf("encoder: install ffmpeg: %w", err)
	}
	versionIfMissing(ctx, res, "ffmpeg", "ffmpeg", "-hide_banner", "-version")
	out := &EncoderResults{
		Cores:        float64(runtime.NumCPU()),
		ClipSeconds:  pick(env, 10, 4),
		Rounds:       pick(env, 3, 1),
		Service:      EncoderVariant{Benchmark: "BenchmarkLadderService"},
		OneRun:       EncoderVariant{Benchmark: "BenchmarkLadderOneRun"},
		PerRendition: EncoderVariant{Benchmark: "BenchmarkLadderPerRendition"},
	}
	bin := filepath.Join(env.Work, "encoder.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./services/encoder/")
	build.Dir = env.Root
	if b, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("encoder: build the test binary: %w: %s", err, tailLines(string(b), 20))
	}
	out.Command = fmt.Sprintf("go test -c ./services/encoder/ && DFLIX_ENCODER_BENCH_SECONDS=%d encoder.test -test.run '^$' -test.bench '^<variant>$' -test.benchtime 1x",
		out.ClipSeconds)
	logFile, err := os.Create(filepath.Join(env.Logs, "encoder-bench.log"))
	if err != nil {
		return fmt.Errorf("encoder: %w", err)
	}
	defer logFile.Close()

	variants := []*EncoderVariant{&out.Service, &out.OneRun, &out.PerRendition}
	for round := range out.Rounds {
		order := variants
		if round%2 == 1 {
			order = []*EncoderVariant{variants[2], variants[1], variants[0]}
		}
		for _, v := range order {
			env.Log.Info("encoder", "round", round+1, "variant", v.Benchmark)
			cpu, ns, other, err := runLadderBenchmark(ctx, env, bin, v.Benchmark, out.ClipSeconds, logFile)
			if err != nil {
				return fmt.Errorf("encoder: round %d: %w", round+1, err)
			}
			v.CPURounds = append(v.CPURounds, round3(cpu))
			v.WallRounds = append(v.WallRounds, round3(ns/1e9))
			v.OtherRounds = append(v.OtherRounds, other)
		}
	}
	for _, v := range variants {
		v.CPUPerContent = round3(median(v.CPURounds))
		v.WallSeconds = round3(median(v.WallRounds))
		v.WallPerContent = round3(v.WallSeconds / float64(out.ClipSeconds))
		v.CoresBusy = round3(ratio(v.CPUPerContent, v.WallPerContent))
		v.OtherCoresBusy = round3(median(v.OtherRounds))
	}
	for _, v := range variants {
		v.CPURatio = ratio(v.CPUPerContent, out.OneRun.CPUPerContent)
		v.WallRatio = ratio(v.WallSeconds, out.OneRun.WallSeconds)
	}
	res.Encoder = out
	return nil
}

// runLadderBenchmark runs one benchmark of the test binary once and
// returns its cpu-s/content-s metric, its ns/op and how many cores other
// work kept busy meanwhile; the output goes to log.
func runLadderBenchmark(ctx context.Context, env *Env, bin, name string, seconds int, log *os.File) (cpu, ns, others float64, err error) {
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", "^"+name+"$", "-test.benchtime", "1x", "-test.count", "1")
	// The package's tests expect to run in its folder, as go test runs them.
	cmd.Dir = filepath.Join(env.Root, "services", "encoder")
	cmd.Env = append(os.Environ(),
		"DFLIX_ENCODER_BENCH_SECONDS="+strconv.Itoa(seconds),
		"DFLIX_ENCODER_BENCH_CLIP_DIR="+filepath.Join(env.Work, "encoder-clip"))
	watch := startBusyWatch()
	b, err := cmd.CombinedOutput()
	// The process's times include the ffmpeg runs it waited for.
	var ours float64
	if cmd.ProcessState != nil {
		ours = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	_, others = watch.stop(ours)
	fmt.Fprintf(log, "=== %s (%s, other work: %.2f cores)\n%s\n", name, time.Since(watch.began).Round(time.Millisecond), others, b)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %w: %s", name, err, tailLines(string(b), 20))
	}
	cpu, ns, err = parseLadderLine(string(b), name)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %w", name, err)
	}
	return cpu, ns, others, nil
}

// busyWatch tells how many cores were busy, and with what, from its
// start until stop: the load driver itself, and everything that is
// neither the driver nor the processes the caller measures (other work on
// the machine, or the hypervisor's steal time), so that a section can say
// when its figures come from a machine that was not quiet.
type busyWatch struct {
	began         time.Time
	machine, self float64
}

func startBusyWatch() busyWatch {
	return busyWatch{began: time.Now(), machine: machineBusySeconds(), self: selfCPUSeconds()}
}

// stop returns the cores the driver and the others kept busy on average,
// given the CPU seconds the measured processes used since the start.
func (w busyWatch) stop(measured float64) (driver, others float64) {
	secs := time.Since(w.began).Seconds()
	d := selfCPUSeconds() - w.self
	o := machineBusySeconds() - w.machine - d - measured
	return round3(d / secs), round3(max(o, 0) / secs)
}

// selfCPUSeconds is the CPU time of this process (not its children).
func selfCPUSeconds() float64 {
	st, err := readStat(os.Getpid())
	if err != nil {
		return 0
	}
	return float64(st.utime+st.stime) / clockTicks
}

// parseLadderLine finds name's result line in go test output, e.g.
// "BenchmarkLadderOneRun-2  1  13875796162 ns/op  1.582 cpu-s/content-s",
// and returns its cpu-s/content-s and ns/op.
func parseLadderLine(output, name string) (cpu, ns float64, err error) {
	sc := bufio.NewScanner(strings.NewReader(output))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || (f[0] != name && !strings.HasPrefix(f[0], name+"-")) {
			continue
		}
		var haveCPU, haveNs bool
		// After the name and the iteration count come value-unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			x, perr := strconv.ParseFloat(f[i], 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("parse %q: %w", sc.Text(), perr)
			}
			switch f[i+1] {
			case "ns/op":
				ns, haveNs = x, true
			case "cpu-s/content-s":
				cpu, haveCPU = x, true
			}
		}
		if !haveCPU || !haveNs {
			return 0, 0, fmt.Errorf("no ns/op or cpu-s/content-s in %q", sc.Text())
		}
		return cpu, ns, nil
	}
	return 0, 0, fmt.Errorf("no result line in the output:\n%s", tailLines(output, 20))
}

// versionIfMissing records a tool's version when the run's start could not (a
// section installed the tool since).
func versionIfMissing(ctx context.Context, res *Results, name string, argv ...string) {
	if res.Versions == nil {
		res.Versions = map[string]string{}
	}
	if res.Versions[name] != "" {
		return
	}
	b, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	res.Versions[name] = line
}
