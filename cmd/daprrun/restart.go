package main

import (
	"time"
)

// healthyRun is how long a child must have run for its next restart to
// wait only the base delay again.
const healthyRun = 10 * time.Second

// restarter brings back the children that exit on their own (-restart),
// each after a delay that doubles, up to max, while it keeps dying young:
// an app that cannot start does not spin, and one killed now and then is
// back within the base delay.
type restarter struct {
	base, max time.Duration
	next      map[string]time.Duration // by child name: the delay of its next restart
	count     map[string]int           // by child name: restarts so far
	due       chan *proc               // children whose delay is over, to start again
	quit      chan struct{}            // closed when daprrun stops: pending restarts are dropped
	pending   int                      // scheduled and not yet taken from due
}

func newRestarter(base time.Duration) *restarter {
	return &restarter{
		base:  base,
		max:   max(base, 10*time.Second),
		next:  map[string]time.Duration{},
		count: map[string]int{},
		due:   make(chan *proc),
		quit:  make(chan struct{}),
	}
}

// schedule arranges for p to be started again and returns the delay and
// which restart of p's name it is.
func (r *restarter) schedule(p *proc) (time.Duration, int) {
	d, ok := r.next[p.name]
	if !ok || time.Since(p.started) >= healthyRun {
		d = r.base
	}
	r.next[p.name] = min(2*d, r.max)
	r.count[p.name]++
	r.pending++
	time.AfterFunc(d, func() {
		select {
		case r.due <- p:
		case <-r.quit:
		}
	})
	return d, r.count[p.name]
}

// taken records that a restart was taken from due.
func (r *restarter) taken() { r.pending-- }

// stop drops every pending restart.
func (r *restarter) stop() { close(r.quit) }

// restart starts old's command again; the new child replaces old in procs.
func restart(out *output, old *proc, procs []*proc, exited chan<- *proc) (*proc, error) {
	p, err := start(out, old.name, old.dir, old.env, old.argv, exited)
	if err != nil {
		return nil, err
	}
	for i := range procs {
		if procs[i] == old {
			procs[i] = p
		}
	}
	return p, nil
}
