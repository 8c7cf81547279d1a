package main

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dflix/dflix/services/encoder"
)

var _ encoder.Observer = (*encoderMetrics)(nil)

// encoderMetrics is the encoder's job metrics, an encoder.Observer: jobs started,
// runs ended by outcome, how long a run took, and for a done run the wall
// and CPU seconds per second of source (how far from real time the ladder
// encodes).
type encoderMetrics struct {
	running   atomic.Int64
	started   prometheus.Counter
	ended     *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	perSecond prometheus.Histogram
	cpu       prometheus.Counter
	content   prometheus.Counter
	active    prometheus.GaugeFunc
}

// newEncoderMetrics returns the encoder metrics; register them with
// Telemetry.Register.
func newEncoderMetrics() *encoderMetrics {
	e := &encoderMetrics{
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dflix_encoder_jobs_started_total", Help: "Runs of encoding jobs begun.",
		}),
		ended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dflix_encoder_jobs_finished_total", Help: "Runs of encoding jobs ended, by outcome: done, failed, retry, handed_back, taken_over.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "dflix_encoder_job_duration_seconds", Help: "Wall time of one run of a job (probe, ladder, quality checks, uploads), by outcome.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13), // 1 s to about 68 min
		}, []string{"outcome"}),
		perSecond: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "dflix_encoder_seconds_per_content_second", Help: "Wall seconds a done run took per second of source: below 1 encodes faster than real time.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32},
		}),
		cpu: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dflix_encoder_cpu_seconds_total", Help: "User and system CPU seconds of ffmpeg and ffprobe over done runs.",
		}),
		content: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "dflix_encoder_content_seconds_total", Help: "Seconds of source encoded by done runs.",
		}),
	}
	e.active = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "dflix_encoder_jobs_running", Help: "Runs of encoding jobs under way in this process.",
	}, func() float64 { return float64(e.running.Load()) })
	return e
}

// JobStarted counts a run begun.
func (e *encoderMetrics) JobStarted() {
	e.running.Add(1)
	e.started.Inc()
}

// JobEnded counts a run's outcome and times it.
func (e *encoderMetrics) JobEnded(outcome string, elapsed time.Duration, res encoder.Result) {
	e.running.Add(-1)
	e.ended.WithLabelValues(outcome).Inc()
	e.duration.WithLabelValues(outcome).Observe(elapsed.Seconds())
	if outcome == encoder.OutcomeDone && res.DurationSeconds > 0 {
		e.perSecond.Observe(elapsed.Seconds() / res.DurationSeconds)
		e.cpu.Add(res.CPUSeconds)
		e.content.Add(res.DurationSeconds)
	}
}

// Describe describes every encoder metric.
func (e *encoderMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range e.collectors() {
		c.Describe(ch)
	}
}

// Collect collects every encoder metric.
func (e *encoderMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range e.collectors() {
		c.Collect(ch)
	}
}

func (e *encoderMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{e.started, e.ended, e.duration, e.perSecond, e.cpu, e.content, e.active}
}
