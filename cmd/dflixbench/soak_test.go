package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// series makes one sample a second for 120 s with RSS rss(t).
func series(rss func(t float64) float64) []SoakSample {
	out := make([]SoakSample, 121)
	for i := range out {
		t := float64(i)
		out[i] = SoakSample{T: t, RSSMiB: rss(t)}
	}
	return out
}

func TestSoakMemoryVerdict(t *testing.T) {
	spec := SoakSpec{Seconds: 120, WindowS: 60, GrowthLimitPct: 10}
	// saw is a GC sawtooth: 45 MiB, +9 MiB of garbage every 7 s.
	saw := func(t float64) float64 { return 45 + 9*float64(int(t)%7)/6 }
	tests := []struct {
		name string
		rss  func(t float64) float64
		pass bool
	}{
		{"flat sawtooth", saw, true},
		{"warm-up before the window", func(t float64) float64 {
			if t < 5 {
				return 110 // the sign-ups' argon2id heap, not yet returned
			}
			return saw(t)
		}, true},
		{"a stall's burst that the heap gives back", func(t float64) float64 {
			if t > 85 && t < 105 {
				return saw(t) + 12 // requests piled up while the machine was busy
			}
			return saw(t)
		}, true},
		{"leak of 20% a minute", func(t float64) float64 { return saw(t) * (1 + 0.2*t/60) }, false},
		{"step up in the window", func(t float64) float64 {
			if t > 80 {
				return saw(t) + 8
			}
			return saw(t)
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &SoakMode{Requests: 1, Memory: memoryOf(series(tt.rss), spec, [2]procMemory{})}
			judge(m, spec)
			assert.Equal(t, tt.pass, m.Passed, "growth %.1f%% (peak %.1f%%, raw %.1f%%), problems %v",
				m.Memory.GrowthPct, m.Memory.PeakGrowthPct, m.Memory.RawGrowthPct, m.Problems)
		})
	}
}

func TestSoakTally(t *testing.T) {
	recs := []soakRecord{
		{kind: "browse", status: 200, took: 10 * time.Millisecond},
		{kind: "search", status: 200, code: "INTERNAL", took: 20 * time.Millisecond},
		{kind: "playback", status: 200, code: "STREAM_LIMIT_REACHED", took: 5 * time.Millisecond},
		{kind: "segment", status: 502, code: "HTTP 502", took: 30 * time.Millisecond},
		{kind: "segmentRange", code: codeTransport},
		{kind: "master", status: 200, code: codeBadAnswer, took: time.Millisecond},
	}
	m := &SoakMode{Seconds: 2, Memory: SoakMemory{StartMiB: 1, SmoothStartMiB: 1, SmoothEndMiB: 1}}
	tally(m, recs, nil)
	judge(m, SoakSpec{GrowthLimitPct: 10})
	assert.Equal(t, 6, m.Requests)
	assert.Equal(t, 1, m.Status5xx)
	assert.Equal(t, 4, m.Failures, "INTERNAL, the 502, TRANSPORT and BAD_ANSWER; not STREAM_LIMIT_REACHED")
	assert.Equal(t, 5, m.Overall.Errors)
	assert.Equal(t, 3, m.Groups["graphql"].Requests)
	assert.Equal(t, 2, m.Groups["segments"].Failures)
	assert.Equal(t, 30.0, m.Groups["segments"].Latency.P99Ms, "a request without an answer has no latency")
	assert.False(t, m.Passed)
	assert.Len(t, m.Problems, 2, "the 5xx and the other failures")
}
