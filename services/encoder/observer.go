package encoder

import "time"

// The outcomes of one run of a job, as an Observer hears them.
const (
	OutcomeDone       = "done"        // encoded; the media is READY
	OutcomeFailed     = "failed"      // the source can never be encoded (its reason is on the media)
	OutcomeRetry      = "retry"       // a transient failure; the job runs again later
	OutcomeHandedBack = "handed_back" // Run stopped; the job waits for the next runner
	OutcomeTakenOver  = "taken_over"  // another runner took the job over; this result was dropped
)

// Observer hears how jobs run, for metrics. Its methods must be quick and
// safe for concurrent use.
type Observer interface {
	// JobStarted is called when a run of a job begins.
	JobStarted()
	// JobEnded is called when a run ends with one of the Outcome
	// constants, after elapsed; res is the result of a done run (the
	// source's duration, the CPU time the encode took), zero otherwise.
	JobEnded(outcome string, elapsed time.Duration, res Result)
}

type nopObserver struct{}

func (nopObserver) JobStarted()                            {}
func (nopObserver) JobEnded(string, time.Duration, Result) {}
