package encoder

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// The quality checks.
const (
	CheckBlack         = "black"
	CheckFreeze        = "freeze"
	CheckSilence       = "silence"
	CheckDurationDrift = "duration-drift"
)

// maxDrift is how far, in seconds, the output may be off the source's
// duration before it is a finding.
const maxDrift = 0.5

// The log lines of blackdetect, freezedetect and silencedetect.
var (
	blackLine   = regexp.MustCompile(`black_start:\s*(-?[\d.]+)\s+black_end:\s*(-?[\d.]+)`)
	freezeLine  = regexp.MustCompile(`freezedetect\.freeze_(start|end):\s*(-?[\d.]+)`)
	silenceLine = regexp.MustCompile(`silence_(start|end):\s*(-?[\d.]+)`)
)

// quality collects the findings of ffmpeg's detection filters from its log,
// one line at a time. It is not safe for concurrent use.
type quality struct {
	findings []Finding
	open     map[string]float64 // check -> start of a span not ended yet
}

func newQuality() *quality { return &quality{open: map[string]float64{}} }

// line reads one log line.
func (q *quality) line(l string) {
	if m := blackLine.FindStringSubmatch(l); m != nil {
		q.add(CheckBlack, num(m[1]), num(m[2]))
		return
	}
	if m := freezeLine.FindStringSubmatch(l); m != nil {
		q.mark(CheckFreeze, m[1], num(m[2]))
		return
	}
	if m := silenceLine.FindStringSubmatch(l); m != nil {
		q.mark(CheckSilence, m[1], num(m[2]))
	}
}

// mark records the start or the end of a span.
func (q *quality) mark(check, edge string, at float64) {
	if edge == "start" {
		q.open[check] = at
		return
	}
	if start, ok := q.open[check]; ok {
		delete(q.open, check)
		q.add(check, start, at)
	}
}

// add records one span.
func (q *quality) add(check string, start, end float64) {
	start = max(start, 0)
	what := map[string]string{CheckBlack: "black picture", CheckFreeze: "frozen picture", CheckSilence: "silence"}[check]
	q.findings = append(q.findings, Finding{Check: check, Start: round3(start), End: round3(end),
		Detail: fmt.Sprintf("%s for %.1f s", what, end-start)})
}

// result ends the spans still open at the end of the media (duration
// seconds) and returns the findings.
func (q *quality) result(duration float64) []Finding {
	for _, check := range []string{CheckFreeze, CheckSilence} {
		if start, ok := q.open[check]; ok {
			delete(q.open, check)
			q.add(check, start, duration)
		}
	}
	if q.findings == nil {
		return []Finding{}
	}
	return q.findings
}

// driftFinding returns a duration-drift finding when the output's duration
// is more than maxDrift off the source's.
func driftFinding(source, output float64) (Finding, bool) {
	if math.Abs(source-output) <= maxDrift {
		return Finding{}, false
	}
	return Finding{Check: CheckDurationDrift, Start: round3(min(source, output)), End: round3(max(source, output)),
		Detail: fmt.Sprintf("output lasts %.2f s, source %.2f s", output, source)}, true
}

func num(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
