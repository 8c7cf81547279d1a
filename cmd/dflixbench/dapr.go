package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// DaprResults compare the same queries on the one-process mode (A) and on
// Dapr mode (B: every service in its own process beside its own daprd,
// redis component set, Redis included in B's processes).
type DaprResults struct {
	Videos int `json:"videos"`
	// Comparisons: each query with one worker (the latency one request
	// pays) and loaded (throughput and CPU).
	Comparisons []Comparison `json:"comparisons"`
	// Idle is what each mode holds in memory after the load, summed over
	// its processes.
	IdleRSSMiB map[string]float64 `json:"idleRssMiB"`
	Processes  map[string]int     `json:"processes"`
	// IdleCPU is the share of one core each mode burns with no request:
	// health probes, cron bindings, Redis, the runtimes' own timers.
	IdleCPU map[string]float64 `json:"idleCpuCores"`
}

func runDapr(ctx context.Context, env *Env, res *Results) error {
	one, err := env.startOneProcess(ctx, false)
	if err != nil {
		return err
	}
	n := edgeVideos(env)
	if err := seedOnce(ctx, one, one.DataDir, n); err != nil {
		return err
	}
	dp, err := env.startDapr(ctx)
	if err != nil {
		return err
	}
	if err := seedOnce(ctx, dp, "", n); err != nil {
		return err
	}
	redis, err := redisPID(ctx)
	if err != nil {
		return err
	}
	dp.Procs.Roots = append(dp.Procs.Roots, redis)
	out := &DaprResults{Videos: n + 36, IdleRSSMiB: map[string]float64{}, Processes: map[string]int{}, IdleCPU: map[string]float64{}}
	res.Dapr = out
	idle := pick(env, 10*time.Second, 3*time.Second)
	before := map[string]Usage{"one-process": one.Procs.Usage(), "dapr": dp.Procs.Usage()}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(idle):
	}
	for _, pl := range []*Platform{one, dp} {
		out.IdleCPU[pl.Mode] = round3((pl.Procs.Usage().CPUSeconds - before[pl.Mode].CPUSeconds) / idle.Seconds())
	}
	// The quick set measures the platform loaded only.
	for _, workers := range pick(env, []int{1, 8}, []int{8}) {
		spec := edgeSpec(env, workers)
		client := newHTTPClient(workers)
		for _, q := range edgeQueries {
			a := graphqlTarget("one process", one.URL, one.Viewer.Token, q, one.Procs, client)
			b := graphqlTarget("Dapr mode", dp.URL, dp.Viewer.Token, q, dp.Procs, client)
			c, err := compare(ctx, fmt.Sprintf("%s, %d worker%s", q.Name, workers, map[bool]string{true: "s"}[workers > 1]), spec, a, b)
			if err != nil {
				return err
			}
			out.Comparisons = append(out.Comparisons, c)
		}
	}
	for _, pl := range []*Platform{one, dp} {
		u := pl.Procs.Usage()
		out.IdleRSSMiB[pl.Mode] = round1(u.RSSMiB)
		out.Processes[pl.Mode] = u.Procs
	}
	return nil
}

// redisPID asks our Redis (scripts/infra.sh, port 16379) for its process id.
func redisPID(ctx context.Context) (int, error) {
	out, err := exec.CommandContext(ctx, "redis-cli", "-h", "127.0.0.1", "-p", redisAddrPort, "info", "server").Output()
	if err != nil {
		return 0, fmt.Errorf("redis-cli info: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("redis-cli info: no process_id in %q", out)
}

// Loaded are the comparisons under load (more than one worker).
func (d *DaprResults) Loaded() []Comparison {
	var out []Comparison
	for _, c := range d.Comparisons {
		if c.Spec.Concurrency > 1 {
			out = append(out, c)
		}
	}
	return out
}
