package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A Target is one side of a comparison: a request to repeat and the
// processes that serve it.
type Target struct {
	Name  string
	Procs ProcSet
	// Do sends one request and checks its answer.
	Do func(ctx context.Context) error
}

// LoadSpec is a closed-loop load: Concurrency workers each send a request,
// wait for the answer and send the next, for Duration after Warmup.
type LoadSpec struct {
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"-"`
	Warmup      time.Duration `json:"-"`
	Rounds      int           `json:"rounds"`
	DurationS   float64       `json:"roundSeconds"`
}

// Round is one measured stretch of load on one target.
type Round struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Seconds    float64 `json:"seconds"`
	RPS        float64 `json:"rps"`
	Latency    Dist    `json:"latency"`
	CPUSeconds float64 `json:"cpuSeconds"`
	CPUPer1k   float64 `json:"cpuSecondsPer1kRequests"`
	RSSMiB     float64 `json:"rssMiB"`
	PeakRSSMiB float64 `json:"peakRssMiB"`
	FirstError string  `json:"firstError,omitempty"`
}

// Summary is a target's rounds in medians: req/s, latency quantiles and
// CPU per 1,000 requests are the medians over rounds; memory is the largest
// seen.
type Summary struct {
	RPS        float64 `json:"rps"`
	P50Ms      float64 `json:"p50Ms"`
	P99Ms      float64 `json:"p99Ms"`
	CPUPer1k   float64 `json:"cpuSecondsPer1kRequests"`
	RSSMiB     float64 `json:"rssMiB"`
	PeakRSSMiB float64 `json:"peakRssMiB"`
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
}

// Series is every round of one target.
type Series struct {
	Name    string  `json:"name"`
	Rounds  []Round `json:"rounds"`
	Summary Summary `json:"summary"`
}

// Comparison is A against B, measured in alternating rounds; Ratio is B/A
// of each summary figure.
type Comparison struct {
	Name  string   `json:"name"`
	Spec  LoadSpec `json:"load"`
	A     Series   `json:"a"`
	B     Series   `json:"b"`
	Ratio Summary  `json:"ratioBtoA"`
}

// compare runs spec.Rounds rounds of each target in the order A B B A A B
// ..., so that a drift of the machine over time (caches, heat, a neighbour)
// weighs on both sides alike.
func compare(ctx context.Context, name string, spec LoadSpec, a, b Target) (Comparison, error) {
	c := Comparison{Name: name, Spec: spec, A: Series{Name: a.Name}, B: Series{Name: b.Name}}
	c.Spec.DurationS = spec.Duration.Seconds()
	for i := range spec.Rounds {
		order := []*Target{&a, &b}
		sides := []*Series{&c.A, &c.B}
		if i%2 == 1 {
			order[0], order[1], sides[0], sides[1] = &b, &a, &c.B, &c.A
		}
		for j, t := range order {
			r, err := load(ctx, spec, *t)
			if err != nil {
				return c, fmt.Errorf("%s, %s, round %d: %w", name, t.Name, i+1, err)
			}
			sides[j].Rounds = append(sides[j].Rounds, r)
		}
	}
	c.A.Summary, c.B.Summary = summarize(c.A.Rounds), summarize(c.B.Rounds)
	c.Ratio = Summary{
		RPS:        ratio(c.B.Summary.RPS, c.A.Summary.RPS),
		P50Ms:      ratio(c.B.Summary.P50Ms, c.A.Summary.P50Ms),
		P99Ms:      ratio(c.B.Summary.P99Ms, c.A.Summary.P99Ms),
		CPUPer1k:   ratio(c.B.Summary.CPUPer1k, c.A.Summary.CPUPer1k),
		RSSMiB:     ratio(c.B.Summary.RSSMiB, c.A.Summary.RSSMiB),
		PeakRSSMiB: ratio(c.B.Summary.PeakRSSMiB, c.A.Summary.PeakRSSMiB),
	}
	return c, nil
}

func summarize(rounds []Round) Summary {
	var s Summary
	var rps, p50, p99, cpu []float64
	for _, r := range rounds {
		rps = append(rps, r.RPS)
		p50 = append(p50, r.Latency.P50Ms)
		p99 = append(p99, r.Latency.P99Ms)
		cpu = append(cpu, r.CPUPer1k)
		s.RSSMiB = max(s.RSSMiB, r.RSSMiB)
		s.PeakRSSMiB = max(s.PeakRSSMiB, r.PeakRSSMiB)
		s.Requests += r.Requests
		s.Errors += r.Errors
	}
	s.RPS, s.P50Ms, s.P99Ms, s.CPUPer1k = round1(median(rps)), round3(median(p50)), round3(median(p99)), round3(median(cpu))
	return s
}

// load runs one round against t. A request that fails counts as an error
// and its latency is left out; a round where more than 1% fail is an error,
// since its figures would describe failures.
func load(ctx context.Context, spec LoadSpec, t Target) (Round, error) {
	if spec.Warmup > 0 {
		wctx, cancel := context.WithTimeout(ctx, spec.Warmup)
		_, _, _ = drive(wctx, spec.Concurrency, t.Do)
		cancel()
		if ctx.Err() != nil {
			return Round{}, ctx.Err()
		}
	}
	before := t.Procs.Usage()
	start := time.Now()
	rctx, cancel := context.WithTimeout(ctx, spec.Duration)
	lat, errs, first := drive(rctx, spec.Concurrency, t.Do)
	cancel()
	elapsed := time.Since(start).Seconds()
	after := t.Procs.Usage()
	if ctx.Err() != nil {
		return Round{}, ctx.Err()
	}
	r := Round{
		Requests:   len(lat),
		Errors:     errs,
		Seconds:    round3(elapsed),
		RPS:        round1(float64(len(lat)) / elapsed),
		Latency:    distOf(lat),
		CPUSeconds: round3(after.CPUSeconds - before.CPUSeconds),
		RSSMiB:     round1(after.RSSMiB),
		PeakRSSMiB: round1(after.PeakRSSMiB),
	}
	if first != nil {
		r.FirstError = first.Error()
	}
	if len(lat) > 0 {
		r.CPUPer1k = round3(r.CPUSeconds / float64(len(lat)) * 1000)
	}
	if len(lat) == 0 || errs*100 > len(lat)+errs {
		return r, fmt.Errorf("%d of %d requests failed; first: %v", errs, len(lat)+errs, first)
	}
	return r, nil
}

// drive runs workers until ctx ends and returns the latencies of the
// requests that succeeded, the count of those that failed and the first
// failure. A request cut by the end of ctx counts as neither.
func drive(ctx context.Context, workers int, do func(context.Context) error) ([]time.Duration, int, error) {
	var (
		mu    sync.Mutex
		all   []time.Duration
		errs  atomic.Int64
		first error
		wg    sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				began := time.Now()
				err := do(ctx)
				took := time.Since(began)
				switch {
				case err == nil:
					mine = append(mine, took)
				case ctx.Err() != nil:
				default:
					if errs.Add(1) == 1 {
						mu.Lock()
						first = err
						mu.Unlock()
					}
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, int(errs.Load()), first
}

// newHTTPClient keeps one idle connection per worker, so a round measures
// requests, not TCP handshakes.
func newHTTPClient(workers int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 4 * workers
	tr.MaxIdleConnsPerHost = 2 * workers
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// errStatus is an answer with an unexpected HTTP status.
var errStatus = errors.New("unexpected status")

// fetch does req and reads the body whole, failing on a status other than
// want.
func fetch(c *http.Client, req *http.Request, want int) ([]byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return body, fmt.Errorf("%w: %s %s: HTTP %d: %.200s", errStatus, req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return body, nil
}
