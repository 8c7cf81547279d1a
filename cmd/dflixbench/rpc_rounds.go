package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RPCLatency is one interaction at a time, alternating the transports
// round by round.
type RPCLatency struct {
	Rounds     int           `json:"rounds"`
	PerRound   int           `json:"interactionsPerRound"`
	Invocation LatencySeries `json:"invocation"`
	PubSub     LatencySeries `json:"pubsub"`
	Ratio      LatencyFigure `json:"ratioPubSubToInvocation"`
}

// LatencySeries is every round of one transport and their medians.
type LatencySeries struct {
	Rounds  []LatencyRound `json:"rounds"`
	Summary LatencyFigure  `json:"summary"`
}

// LatencyRound is one round of sequential interactions. Effect runs from
// the start of the send until the catalog shows the change; Sender until
// the sender's call returned (the time the sender is held).
type LatencyRound struct {
	Effect     Dist   `json:"effect"`
	Sender     Dist   `json:"sender"`
	Errors     int    `json:"errors"`
	FirstError string `json:"firstError,omitempty"`
}

// LatencyFigure is the medians over rounds of each round's quantiles.
type LatencyFigure struct {
	EffectP50Ms float64 `json:"effectP50Ms"`
	EffectP99Ms float64 `json:"effectP99Ms"`
	SenderP50Ms float64 `json:"senderP50Ms"`
	SenderP99Ms float64 `json:"senderP99Ms"`
	N           int     `json:"interactions"`
	Errors      int     `json:"errors"`
}

// effectPoll is the pause between two reads of an effect: short against
// the milliseconds measured, long enough not to starve the two cores.
const effectPoll = 500 * time.Microsecond

// latency runs rounds of n sequential interactions per transport, in the
// order A B B A ..., after a warm-up of each.
func (b *rpcBench) latency(ctx context.Context, rounds, n int) (RPCLatency, error) {
	out := RPCLatency{Rounds: rounds, PerRound: n}
	series := [2]*LatencySeries{&out.Invocation, &out.PubSub}
	send := b.transports()
	for k := range send {
		if _, err := b.latencyRound(ctx, send[k], 20); err != nil {
			return out, fmt.Errorf("rpc latency, %s warm-up: %w", rpcSides[k], err)
		}
	}
	for i := range rounds {
		for _, k := range alternate(i) {
			r, err := b.latencyRound(ctx, send[k], n)
			if err != nil {
				return out, fmt.Errorf("rpc latency, %s, round %d: %w", rpcSides[k], i+1, err)
			}
			series[k].Rounds = append(series[k].Rounds, r)
		}
	}
	for _, s := range series {
		s.Summary = summarizeLatency(s.Rounds)
	}
	a, p := out.Invocation.Summary, out.PubSub.Summary
	out.Ratio = LatencyFigure{
		EffectP50Ms: ratio(p.EffectP50Ms, a.EffectP50Ms), EffectP99Ms: ratio(p.EffectP99Ms, a.EffectP99Ms),
		SenderP50Ms: ratio(p.SenderP50Ms, a.SenderP50Ms), SenderP99Ms: ratio(p.SenderP99Ms, a.SenderP99Ms),
	}
	return out, nil
}

// alternate is the order of the transports in round i: A B, then B A.
func alternate(i int) [2]int {
	if i%2 == 1 {
		return [2]int{1, 0}
	}
	return [2]int{0, 1}
}

// latencyRound sends n interactions one after the other, each waiting for
// its effect. More than 1% failed sends fail the round.
func (b *rpcBench) latencyRound(ctx context.Context, send func(context.Context, []byte) error, n int) (LatencyRound, error) {
	ias, err := b.nextInteractions(n)
	if err != nil {
		return LatencyRound{}, err
	}
	var r LatencyRound
	var effect, sender []time.Duration
	for _, ia := range ias {
		began := time.Now()
		if err := send(ctx, ia.body); err != nil {
			if r.Errors++; r.FirstError == "" {
				r.FirstError = err.Error()
			}
			continue
		}
		sender = append(sender, time.Since(began))
		if err := b.awaitEffect(ctx, ia, 10*time.Second); err != nil {
			return r, err
		}
		effect = append(effect, time.Since(began))
	}
	r.Effect, r.Sender = distOf(effect), distOf(sender)
	if r.Errors*100 > n {
		return r, fmt.Errorf("%d of %d sends failed; first: %s", r.Errors, n, r.FirstError)
	}
	return r, nil
}

// awaitEffect reads ia's video until it shows ia's percent.
func (b *rpcBench) awaitEffect(ctx context.Context, ia interaction, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := b.percents(ctx, []*rpcVideo{ia.video})
		if err == nil && reached(got, ia.video, ia.percent) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("event %s: video %s not at %.1f%% after %v (read error: %v)", ia.eventID, ia.video.ID, ia.percent, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(effectPoll):
		}
	}
}

func summarizeLatency(rounds []LatencyRound) LatencyFigure {
	var f LatencyFigure
	var e50, e99, s50, s99 []float64
	for _, r := range rounds {
		e50, e99 = append(e50, r.Effect.P50Ms), append(e99, r.Effect.P99Ms)
		s50, s99 = append(s50, r.Sender.P50Ms), append(s99, r.Sender.P99Ms)
		f.N += r.Effect.N
		f.Errors += r.Errors
	}
	f.EffectP50Ms, f.EffectP99Ms = round3(median(e50)), round3(median(e99))
	f.SenderP50Ms, f.SenderP99Ms = round3(median(s50)), round3(median(s99))
	return f
}

// RPCThroughput is a batch of interactions sent as fast as Workers
// senders can, until every effect is visible, alternating the transports.
type RPCThroughput struct {
	Rounds     int              `json:"rounds"`
	PerRound   int              `json:"interactionsPerRound"`
	Workers    int              `json:"workers"`
	Invocation ThroughputSeries `json:"invocation"`
	PubSub     ThroughputSeries `json:"pubsub"`
	Ratio      ThroughputFigure `json:"ratioPubSubToInvocation"`
	// Processes is ByProcess of both sides side by side.
	Processes []ProcCPUPair `json:"processes"`
}

// ProcCPUPair is one process's CPU seconds per 1,000 interactions on each
// side.
type ProcCPUPair struct {
	Name       string  `json:"name"`
	Invocation float64 `json:"invocation"`
	PubSub     float64 `json:"pubsub"`
}

// ThroughputSeries is every round of one transport and their medians.
type ThroughputSeries struct {
	Rounds  []ThroughputRound `json:"rounds"`
	Summary ThroughputFigure  `json:"summary"`
}

// ThroughputRound is one batch. PerSecond counts interactions whose effect
// is visible, over the time until the last one was; SenderPerSecond over
// the time until the last send returned. CPU is every dflix app and sidecar
// (Platform) and the Redis server, by process in ByProcess.
type ThroughputRound struct {
	Interactions    int                `json:"interactions"`
	Errors          int                `json:"errors"`
	SendSeconds     float64            `json:"sendSeconds"`
	EffectSeconds   float64            `json:"effectSeconds"`
	PerSecond       float64            `json:"perSecond"`
	SenderPerSecond float64            `json:"senderPerSecond"`
	CPUPer1k        float64            `json:"cpuSecondsPer1k"`
	RedisCPUPer1k   float64            `json:"redisCpuSecondsPer1k"`
	ByProcess       map[string]float64 `json:"cpuSecondsPer1kByProcess"`
	FirstError      string             `json:"firstError,omitempty"`
}

// ThroughputFigure is the medians over rounds.
type ThroughputFigure struct {
	PerSecond       float64   `json:"perSecond"`
	SenderPerSecond float64   `json:"senderPerSecond"`
	CPUPer1k        float64   `json:"cpuSecondsPer1k"`
	RedisCPUPer1k   float64   `json:"redisCpuSecondsPer1k"`
	ByProcess       []ProcCPU `json:"byProcess,omitempty"`
	Errors          int       `json:"errors"`
}

// ProcCPU is one process's CPU seconds per 1,000 interactions.
type ProcCPU struct {
	Name     string  `json:"name"`
	CPUPer1k float64 `json:"cpuSecondsPer1k"`
}

func (b *rpcBench) throughput(ctx context.Context, rounds, n, workers int) (RPCThroughput, error) {
	out := RPCThroughput{Rounds: rounds, PerRound: n, Workers: workers}
	series := [2]*ThroughputSeries{&out.Invocation, &out.PubSub}
	send := b.transports()
	for k := range send {
		if _, err := b.throughputRound(ctx, send[k], n/10, workers); err != nil {
			return out, fmt.Errorf("rpc throughput, %s warm-up: %w", rpcSides[k], err)
		}
	}
	for i := range rounds {
		for _, k := range alternate(i) {
			r, err := b.throughputRound(ctx, send[k], n, workers)
			if err != nil {
				return out, fmt.Errorf("rpc throughput, %s, round %d: %w", rpcSides[k], i+1, err)
			}
			series[k].Rounds = append(series[k].Rounds, r)
		}
	}
	for _, s := range series {
		s.Summary = summarizeThroughput(s.Rounds)
	}
	a, p := out.Invocation.Summary, out.PubSub.Summary
	out.Ratio = ThroughputFigure{PerSecond: ratio(p.PerSecond, a.PerSecond), SenderPerSecond: ratio(p.SenderPerSecond, a.SenderPerSecond),
		CPUPer1k: ratio(p.CPUPer1k, a.CPUPer1k), RedisCPUPer1k: ratio(p.RedisCPUPer1k, a.RedisCPUPer1k)}
	out.Processes = pairProcesses(a.ByProcess, p.ByProcess)
	return out, nil
}

// pairProcesses joins two sides' CPU by process name, sorted by name.
func pairProcesses(a, b []ProcCPU) []ProcCPUPair {
	byName := map[string]*ProcCPUPair{}
	for _, side := range [2][]ProcCPU{a, b} {
		for _, p := range side {
			if byName[p.Name] == nil {
				byName[p.Name] = &ProcCPUPair{Name: p.Name}
			}
		}
	}
	for _, p := range a {
		byName[p.Name].Invocation = p.CPUPer1k
	}
	for _, p := range b {
		byName[p.Name].PubSub = p.CPUPer1k
	}
	out := make([]ProcCPUPair, 0, len(byName))
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		out = append(out, *byName[name])
	}
	return out
}

// throughputRound sends n interactions with workers senders, then reads
// the pool until every video shows the last percent successfully sent to
// it. More than 1% failed sends fail the round.
func (b *rpcBench) throughputRound(ctx context.Context, send func(context.Context, []byte) error, n, workers int) (ThroughputRound, error) {
	ias, err := b.nextInteractions(n)
	if err != nil {
		return ThroughputRound{}, err
	}
	var (
		mu     sync.Mutex
		target = map[*rpcVideo]float64{}
		errs   atomic.Int64
		first  atomic.Value
		idx    atomic.Int64
		wg     sync.WaitGroup
	)
	before, redisBefore := cpuByProcess(b.pl.Procs), b.redis.Usage().CPUSeconds
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for i := idx.Add(1) - 1; i < int64(n) && ctx.Err() == nil; i = idx.Add(1) - 1 {
				ia := ias[i]
				if err := send(ctx, ia.body); err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				mu.Lock()
				target[ia.video] = max(target[ia.video], ia.percent)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	sent := time.Since(start)
	if err := b.awaitAll(ctx, target, 2*time.Minute); err != nil {
		return ThroughputRound{}, err
	}
	took := time.Since(start)
	after, redisAfter := cpuByProcess(b.pl.Procs), b.redis.Usage().CPUSeconds
	firstErr, _ := first.Load().(string)
	return throughputFigures(n, int(errs.Load()), firstErr, sent, took, before, after, redisAfter-redisBefore)
}

func throughputFigures(n, errs int, firstErr string, sent, took time.Duration, before, after map[string]float64, redisCPU float64) (ThroughputRound, error) {
	ok := n - errs
	r := ThroughputRound{Interactions: ok, Errors: errs, SendSeconds: round3(sent.Seconds()), EffectSeconds: round3(took.Seconds()),
		PerSecond: round1(float64(ok) / took.Seconds()), SenderPerSecond: round1(float64(ok) / sent.Seconds()), ByProcess: map[string]float64{}, FirstError: firstErr}
	if ok > 0 {
		var total float64
		for name, cpu := range after {
			d := max(cpu-before[name], 0)
			total += d
			r.ByProcess[name] = round3(d / float64(ok) * 1000)
		}
		r.CPUPer1k, r.RedisCPUPer1k = round3(total/float64(ok)*1000), round3(redisCPU/float64(ok)*1000)
	}
	if ok == 0 || errs*100 > n {
		return r, fmt.Errorf("%d of %d sends failed; first: %s", errs, n, r.FirstError)
	}
	return r, nil
}

// awaitAll reads the videos of target until each shows its percent.
func (b *rpcBench) awaitAll(ctx context.Context, target map[*rpcVideo]float64, timeout time.Duration) error {
	videos := slices.Collect(maps.Keys(target))
	deadline := time.Now().Add(timeout)
	for {
		got, err := b.percents(ctx, videos)
		if err == nil {
			videos = slices.DeleteFunc(videos, func(v *rpcVideo) bool { return reached(got, v, target[v]) })
			if len(videos) == 0 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d videos not at their last percent after %v (read error: %v)", len(videos), timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func summarizeThroughput(rounds []ThroughputRound) ThroughputFigure {
	var f ThroughputFigure
	var rps, srps, cpu, redis []float64
	byProc := map[string][]float64{}
	for _, r := range rounds {
		rps, srps = append(rps, r.PerSecond), append(srps, r.SenderPerSecond)
		cpu, redis = append(cpu, r.CPUPer1k), append(redis, r.RedisCPUPer1k)
		for name, c := range r.ByProcess {
			byProc[name] = append(byProc[name], c)
		}
		f.Errors += r.Errors
	}
	f.PerSecond, f.SenderPerSecond = round1(median(rps)), round1(median(srps))
	f.CPUPer1k, f.RedisCPUPer1k = round3(median(cpu)), round3(median(redis))
	for _, name := range slices.Sorted(maps.Keys(byProc)) {
		f.ByProcess = append(f.ByProcess, ProcCPU{Name: name, CPUPer1k: round3(median(byProc[name]))})
	}
	return f
}

// cpuByProcess is the CPU seconds of each process of set, by role: "catalog
// app", "catalog sidecar", "daprrun".
func cpuByProcess(set ProcSet) map[string]float64 {
	out := map[string]float64{}
	for _, pid := range set.PIDs() {
		st, err := readStat(pid)
		if err != nil {
			continue
		}
		out[procRole(pid)] += float64(st.utime+st.stime) / clockTicks
	}
	return out
}

// procRole names a process of Dapr mode by what it runs.
func procRole(pid int) string {
	args := procArgs(pid)
	if id := flagValue(args, "--app-id"); id != "" {
		return id + " sidecar"
	}
	if t := flagValue(args, "--target"); t != "" {
		return t + " app"
	}
	if len(args) > 0 {
		return filepath.Base(args[0])
	}
	if b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm")); err == nil {
		return strings.TrimSpace(string(b))
	}
	return "pid " + strconv.Itoa(pid)
}
