// Package telemetrytest reads gathered or scraped Prometheus metrics in
// tests: the telemetry package's own and the end-to-end ones.
package telemetrytest

import dto "github.com/prometheus/client_model/go"

// Sum adds the values of the series of name that carry labels (any others
// too): a counter's or gauge's value, a histogram's sample count. It is 0
// when there is no such series.
func Sum(families []*dto.MetricFamily, name string, labels map[string]string) float64 {
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				total += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total
}

func hasLabels(m *dto.Metric, labels map[string]string) bool {
	have := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		have[l.GetName()] = l.GetValue()
	}
	for k, v := range labels {
		if have[k] != v {
			return false
		}
	}
	return true
}
