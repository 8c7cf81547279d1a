package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Codes a soak records besides GraphQL's extensions.code and "HTTP <status>".
const (
	codeTransport = "TRANSPORT"  // no answer: refused, reset, timed out
	codeBadAnswer = "BAD_ANSWER" // an answer that is not what was asked for
)

// failureCodes are the GraphQL codes that mean the platform failed, not
// the viewer: they count like a 5xx.
var failureCodes = map[string]bool{"INTERNAL": true, "UNAVAILABLE": true}

// soakRecord is one request of a soak.
type soakRecord struct {
	kind   string
	at     time.Duration // since the load began, at the answer
	took   time.Duration
	status int    // 0 without an answer
	code   string // "" for a success
}

// failed tells whether the record is a failure of the platform: a 5xx, a
// GraphQL INTERNAL or UNAVAILABLE, no answer, or a wrong one.
func (r soakRecord) failed() bool {
	return r.status >= 500 || failureCodes[r.code] || r.code == codeTransport || r.code == codeBadAnswer
}

// graphqlKinds are the record kinds that are GraphQL operations.
var graphqlKinds = map[string]bool{"browse": true, "continueWatching": true, "search": true, "video": true, "playback": true, "recordProgress": true}

// recorder keeps every request of one mode's soak.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	recs  []soakRecord
	// first holds the first few failures and errors, for a person to read.
	first []string
}

const keepFirst = 20

func newRecorder() *recorder { return &recorder{start: time.Now()} }

// done records an answer; code is "" for a success.
func (r *recorder) done(kind string, began time.Time, status int, code, detail string) {
	now := time.Now()
	rec := soakRecord{kind: kind, at: now.Sub(r.start), took: now.Sub(began), status: status, code: code}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, rec)
	if code != "" && len(r.first) < keepFirst {
		r.first = append(r.first, fmt.Sprintf("%.1fs %s %s (HTTP %d): %.300s", rec.at.Seconds(), kind, code, status, detail))
	}
}

// status records an answer with an unexpected HTTP status.
func (r *recorder) status(kind string, began time.Time, status int, detail string) {
	r.done(kind, began, status, fmt.Sprintf("HTTP %d", status), detail)
}

// transport records a request that got no answer, unless the end of the
// soak (ctx) cut it: that one is nobody's failure.
func (r *recorder) transport(ctx context.Context, kind string, began time.Time, err error) {
	if ctx.Err() != nil {
		return
	}
	r.done(kind, began, 0, codeTransport, err.Error())
}

// malformed records an answer the viewer could not use, after the fact.
func (r *recorder) malformed(kind, detail string) {
	r.done(kind, time.Now(), 0, codeBadAnswer, detail)
}

// SoakDist summarizes latencies, in milliseconds.
type SoakDist struct {
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P95Ms  float64 `json:"p95Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// KindStats are the figures of one kind of request, or of a group of kinds.
// Latencies count every answer, errors included; requests that got none
// (TRANSPORT) count in Requests and Failures only.
type KindStats struct {
	Requests int      `json:"requests"`
	RPS      float64  `json:"rps"`
	Errors   int      `json:"errors"`   // any code, failures included
	Failures int      `json:"failures"` // 5xx, INTERNAL, UNAVAILABLE, TRANSPORT, BAD_ANSWER
	Latency  SoakDist `json:"latency"`
}

func kindStats(recs []soakRecord, seconds float64) KindStats {
	k := KindStats{Requests: len(recs)}
	var lat []time.Duration
	for _, r := range recs {
		if r.code != "" {
			k.Errors++
		}
		if r.failed() {
			k.Failures++
		}
		if r.status != 0 {
			lat = append(lat, r.took)
		}
	}
	if seconds > 0 {
		k.RPS = round1(float64(len(recs)) / seconds)
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		var sum time.Duration
		for _, d := range lat {
			sum += d
		}
		ms := func(d time.Duration) float64 { return round1(float64(d) / float64(time.Millisecond)) }
		k.Latency = SoakDist{MeanMs: ms(sum / time.Duration(len(lat))), P50Ms: ms(quantile(lat, 0.50)),
			P95Ms: ms(quantile(lat, 0.95)), P99Ms: ms(quantile(lat, 0.99)), MaxMs: ms(lat[len(lat)-1])}
	}
	return k
}

// soakGroups are the groups of kinds reported beside each kind.
var soakGroups = []struct {
	name string
	in   func(kind string) bool
}{
	{"graphql", func(k string) bool { return graphqlKinds[k] }},
	{"playlists", func(k string) bool { return k == "master" || k == "playlist" }},
	{"segments", func(k string) bool { return k == "segment" || k == "segmentRange" }},
}

// tally fills m's request figures from the records.
func tally(m *SoakMode, recs []soakRecord, first []string) {
	byKind := map[string][]soakRecord{}
	m.ErrorsByCode = map[string]int{}
	for _, r := range recs {
		byKind[r.kind] = append(byKind[r.kind], r)
		if r.code != "" {
			m.ErrorsByCode[r.code]++
		}
		if r.status >= 500 {
			m.Status5xx++
		}
		if r.failed() {
			m.Failures++
		}
	}
	m.Requests = len(recs)
	m.Overall = kindStats(recs, m.Seconds)
	m.RPS = m.Overall.RPS
	m.Kinds = map[string]KindStats{}
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		m.Kinds[k] = kindStats(byKind[k], m.Seconds)
	}
	m.Groups = map[string]KindStats{}
	for _, g := range soakGroups {
		var in []soakRecord
		for _, r := range recs {
			if g.in(r.kind) {
				in = append(in, r)
			}
		}
		m.Groups[g.name] = kindStats(in, m.Seconds)
	}
	m.FirstErrors = first
	m.Timeline = timeline(recs, m.Seconds)
}

// timelineStep is the width of a timeline bucket.
const timelineStep = 10 * time.Second

// TimelineBucket is the load over one timelineStep: how latency and
// errors moved while the soak ran.
type TimelineBucket struct {
	FromS    float64 `json:"fromSeconds"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Failures int     `json:"failures"`
	P50Ms    float64 `json:"p50Ms"`
	P99Ms    float64 `json:"p99Ms"`
}

func timeline(recs []soakRecord, seconds float64) []TimelineBucket {
	// A last bucket shorter than a step (the load ends a little after its
	// deadline) joins the one before.
	n := max(int(seconds/timelineStep.Seconds()), 1)
	buckets := make([][]soakRecord, n)
	for _, r := range recs {
		i := min(int(r.at/timelineStep), n-1)
		buckets[i] = append(buckets[i], r)
	}
	out := make([]TimelineBucket, 0, n)
	for i, b := range buckets {
		k := kindStats(b, 0)
		out = append(out, TimelineBucket{FromS: float64(i) * timelineStep.Seconds(), Requests: k.Requests,
			Errors: k.Errors, Failures: k.Failures, P50Ms: k.Latency.P50Ms, P99Ms: k.Latency.P99Ms})
	}
	return out
}

// judge sets m's verdict: no failure and memory within the limit.
func judge(m *SoakMode, spec SoakSpec) {
	m.Problems = nil
	if m.Status5xx > 0 {
		m.Problems = append(m.Problems, fmt.Sprintf("%d answers were 5xx", m.Status5xx))
	}
	if other := m.Failures - m.Status5xx; other > 0 {
		var codes []string
		for c, n := range m.ErrorsByCode {
			if failureCodes[c] || c == codeTransport || c == codeBadAnswer {
				codes = append(codes, fmt.Sprintf("%s %d", c, n))
			}
		}
		slices.Sort(codes)
		m.Problems = append(m.Problems, fmt.Sprintf("%d other failures (%s)", other, strings.Join(codes, ", ")))
	}
	if m.Requests == 0 {
		m.Problems = append(m.Problems, "no request was answered")
	}
	switch mem := m.Memory; {
	case mem.StartMiB == 0:
		m.Problems = append(m.Problems, "no memory sample in the window")
	case mem.GrowthPct > spec.GrowthLimitPct:
		m.Problems = append(m.Problems, fmt.Sprintf("RSS grew %.1f%% over the last %.0fs (10 s averages %.1f → %.1f MiB), more than %.0f%%",
			mem.GrowthPct, spec.WindowS, mem.SmoothStartMiB, mem.SmoothEndMiB, spec.GrowthLimitPct))
	}
	m.Passed = len(m.Problems) == 0
}
