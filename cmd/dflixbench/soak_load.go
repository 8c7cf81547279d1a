package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// SoakMode is what one mode's soak measured.
type SoakMode struct {
	Mode         string  `json:"mode"`
	SetupSeconds float64 `json:"setupSeconds"` // start, seed, media, sign-ups
	Seconds      float64 `json:"seconds"`      // of load
	Viewers      int     `json:"viewers"`
	Sessions     int     `json:"sessions"` // completed by all viewers
	Processes    int     `json:"processes"`
	// The cores kept busy on average during the load: by the platform
	// (Redis included in Dapr mode), by the load driver, and by anything
	// else on the machine; a busy machine slows every answer.
	PlatformCores float64 `json:"platformCoresBusy"`
	DriverCores   float64 `json:"driverCoresBusy"`
	OtherCores    float64 `json:"otherCoresBusy"`
	Requests      int     `json:"requests"`
	RPS           float64 `json:"rps"`
	// Overall, Groups (graphql, playlists, segments) and Kinds: requests,
	// errors and latency quantiles.
	Overall      KindStats            `json:"overall"`
	Groups       map[string]KindStats `json:"groups"`
	Kinds        map[string]KindStats `json:"kinds"`
	Status5xx    int                  `json:"status5xx"`
	Failures     int                  `json:"failures"`
	ErrorsByCode map[string]int       `json:"errorsByCode"`
	FirstErrors  []string             `json:"firstErrors,omitempty"`
	Timeline     []TimelineBucket     `json:"timeline"`
	Memory       SoakMemory           `json:"memory"`
	Samples      []SoakSample         `json:"samples"`
	Passed       bool                 `json:"passed"`
	Problems     []string             `json:"problems,omitempty"`
}

// runSoakLoad runs one viewer per token until spec's duration is up,
// sampling the platform's processes every second, and returns the judged
// figures.
func runSoakLoad(ctx context.Context, pl *Platform, spec SoakSpec, tokens, playable []string) *SoakMode {
	procs := pl.Procs
	var redis int
	if pl.Mode == "dapr" {
		// Redis is the Dapr mode's store and broker, outside daprrun's tree:
		// sampled beside it, not judged (what it holds grows with the data).
		redis, _ = redisPID(ctx)
	}
	client := newHTTPClient(len(tokens))
	sizes := &sync.Map{}
	rec := newRecorder()
	lctx, cancel := context.WithTimeout(ctx, spec.duration)
	defer cancel()
	measured := procs
	if redis > 0 {
		measured.Roots = append(append([]int(nil), procs.Roots...), redis)
	}
	watch, cpu0 := startBusyWatch(), measured.Usage().CPUSeconds
	sampler := startSampler(lctx, procs, redis, rec.start, spec.duration-time.Duration(spec.WindowS*float64(time.Second)))

	viewers := make([]*viewer, len(tokens))
	var wg sync.WaitGroup
	for i, tok := range tokens {
		viewers[i] = &viewer{base: pl.URL, token: tok, client: client, rng: rand.New(rand.NewPCG(spec.Seed, uint64(i))),
			rec: rec, spec: spec, playable: playable, sizes: sizes}
		wg.Go(func() { viewers[i].run(lctx) })
	}
	wg.Wait()
	elapsed := time.Since(rec.start)
	platformCPU := measured.Usage().CPUSeconds - cpu0
	driver, others := watch.stop(platformCPU)
	samples, snaps := sampler.wait()
	client.CloseIdleConnections()

	m := &SoakMode{Mode: pl.Mode, Seconds: round1(elapsed.Seconds()), Viewers: len(tokens), Samples: samples,
		PlatformCores: round3(platformCPU / elapsed.Seconds()), DriverCores: driver, OtherCores: others}
	for _, v := range viewers {
		m.Sessions += v.sessions
	}
	rec.mu.Lock()
	tally(m, rec.recs, rec.first)
	rec.mu.Unlock()
	m.Memory = memoryOf(samples, spec, snaps)
	if len(samples) > 0 {
		m.Processes = samples[len(samples)-1].Procs
	}
	judge(m, spec)
	return m
}
