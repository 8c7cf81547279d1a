package main

import (
	"math"
	"slices"
	"time"
)

// Dist summarizes a set of latencies, in milliseconds.
type Dist struct {
	N      int     `json:"n"`
	MeanMs float64 `json:"meanMs"`
	P50Ms  float64 `json:"p50Ms"`
	P90Ms  float64 `json:"p90Ms"`
	P99Ms  float64 `json:"p99Ms"`
	MaxMs  float64 `json:"maxMs"`
}

// distOf summarizes samples; it sorts them in place.
func distOf(samples []time.Duration) Dist {
	if len(samples) == 0 {
		return Dist{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	ms := func(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }
	return Dist{
		N:      len(samples),
		MeanMs: ms(sum / time.Duration(len(samples))),
		P50Ms:  ms(quantile(samples, 0.50)),
		P90Ms:  ms(quantile(samples, 0.90)),
		P99Ms:  ms(quantile(samples, 0.99)),
		MaxMs:  ms(samples[len(samples)-1]),
	}
}

// quantile is the nearest-rank quantile of sorted samples.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// median is the median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ratio is b/a, rounded; 0 when a is 0.
func ratio(b, a float64) float64 {
	if a == 0 {
		return 0
	}
	return round3(b / a)
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
func round1(x float64) float64 { return math.Round(x*10) / 10 }
