package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// The mutation kinds the writers send, in the order the figures list them.
var mutationKinds = []string{"register", "createVideo", "updateVideo", "publishVideo", "addTags",
	"subscribe", "changePlan", "cancelSubscription", "recordProgress"}

// ledger records what dflix acknowledged to the writers, and what it may
// have done without saying so: an attempt whose answer never came, or came
// as an error that does not tell whether the write happened, is "in
// flight". Only acknowledged writes must be found after the kills; in-flight
// ones bound what else may be there.
type ledger struct {
	mu       sync.Mutex
	marker   string               // in every title and email of this run
	accounts map[string]*account  // by email
	videos   map[string]*videoRec // acknowledged creates, by id
	// createsInFlight counts createVideo attempts of unknown outcome: each
	// may have made a video nobody knows the id of.
	createsInFlight int
	acked           map[string]int // by mutation kind
	inFlight        map[string]int // by mutation kind
}

// account is one viewer a writer registered.
type account struct {
	email, password string
	registered      bool              // acknowledged (or proven by a CONFLICT after an in-flight attempt)
	tags            map[string]string // acknowledged tag -> video id
	subscribing     bool              // a subscribe whose outcome is unknown
	sub             *membership       // the acknowledged subscription
	watch           *watching
}

// membership is what was acknowledged of an account's subscription.
type membership struct {
	plan             string
	nextPlan         string // acknowledged changePlan
	nextInFlight     string // a changePlan of unknown outcome
	canceled         bool   // acknowledged cancelSubscription
	cancelInFlight   bool
	changes, cancels int // acknowledged changePlan / cancelSubscription calls
}

// watching is an account's progress in one video.
type watching struct {
	video    string
	acked    int       // acknowledged recordProgress calls
	last     float64   // the last acknowledged position; -1 before the first
	inFlight []float64 // positions sent whose outcome is unknown
}

// videoRec is an acknowledged video.
type videoRec struct {
	title     string // the last acknowledged title
	sent      string // a title sent in a rename of unknown outcome
	published bool
	renamed   bool // an acknowledged rename
}

func newLedger(marker string) *ledger {
	return &ledger{marker: marker, accounts: map[string]*account{}, videos: map[string]*videoRec{},
		acked: map[string]int{}, inFlight: map[string]int{}}
}

func (l *ledger) with(f func()) { l.mu.Lock(); defer l.mu.Unlock(); f() }

// ack counts an acknowledged mutation of kind and applies its effect.
func (l *ledger) ack(kind string, effect func()) {
	l.with(func() {
		l.acked[kind]++
		if effect != nil {
			effect()
		}
	})
}

// unknown counts an attempt of kind whose outcome is unknown.
func (l *ledger) unknown(kind string, effect func()) {
	l.with(func() {
		l.inFlight[kind]++
		if effect != nil {
			effect()
		}
	})
}

// ackedTotal is the number of acknowledged mutations so far.
func (l *ledger) ackedTotal() int {
	n := 0
	l.with(func() {
		for _, v := range l.acked {
			n += v
		}
	})
	return n
}

// byKind formats counts by mutation kind, with their total.
func byKind(counts map[string]int) string {
	parts, total := make([]string, 0, len(mutationKinds)), 0
	for _, k := range mutationKinds {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counts[k]))
		total += counts[k]
	}
	return fmt.Sprintf("%s (total %d)", strings.Join(parts, " "), total)
}

// snapshot copies the accounts and videos for the verification, which runs
// after the writers stopped.
func (l *ledger) snapshot() ([]*account, map[string]*videoRec) {
	var accs []*account
	var vids map[string]*videoRec
	l.with(func() {
		for _, e := range slices.Sorted(maps.Keys(l.accounts)) {
			accs = append(accs, l.accounts[e])
		}
		vids = maps.Clone(l.videos)
	})
	return accs, vids
}
