package dapr

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// maxEventBytes bounds one delivered event (daprd's default body limit).
const maxEventBytes = 4 << 20

// outcome is what one subscription's handler made of one delivery.
type outcome struct {
	sub   string
	topic string
	err   error // nil: acknowledged
	drop  bool  // err was marked with platform.Drop
}

// serveEvent handles the sidecar's POST /events/{name}: it runs the
// handlers of the named subscription's group and answers SUCCESS, RETRY (a
// handler failed or panicked; the sidecar retries per its resiliency policy,
// then dead-letters) or DROP (a handler dropped the event; the sidecar
// forwards it to the dead-letter topic at once).
func (s *Subscriber) serveEvent(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if sub, ok := strings.CutPrefix(name, deadLetterRoute+deadLetterSep); ok {
		s.serveDeadLetter(w, r, sub)
		return
	}
	s.mu.Lock()
	var g *group
	if found := s.byName[name]; found != nil {
		snapshot := *found // Subscribe may still add to it (declarative mode)
		snapshot.subs = slices.Clone(found.subs)
		g = &snapshot
	}
	failures := s.failures
	s.mu.Unlock()
	if g == nil {
		s.log.Warn("dapr: event for an unknown subscription; asking for a retry", "route", name)
		writeStatus(w, statusRetry)
		return
	}
	ev, redrive, ok := s.readEvent(w, r, "dapr: undecodable event dropped to the dead-letter topic", "route", name)
	if !ok {
		return
	}
	if ev.Topic == "" {
		ev.Topic = g.topic
	}
	writeStatus(w, s.deliver(r.Context(), g, failures, ev, redrive))
}

// deliver runs the handlers of g that have not settled ev yet and returns
// the answer for the sidecar.
func (s *Subscriber) deliver(ctx context.Context, g *group, failures failureRecorder, ev platform.Event, redrive string) ackStatus {
	bookkeeping := g.deadLetterTopic != "" && failures != nil
	key := g.pubsub + "\x00" + g.topic + "\x00" + ev.ID
	prev := s.memo.get(key)
	var fresh, all []outcome
	for _, sub := range g.subs {
		if redrive != "" && g.deadLetterTopic != "" && redrive != s.cfg.AppID+"/"+sub.Name {
			continue // a redrive addressed to another subscription
		}
		if o, ok := prev.settled[sub.Name]; ok {
			all = append(all, o)
			continue
		}
		err := s.call(ctx, sub, ev)
		o := outcome{sub: sub.Name, topic: g.topic, err: err, drop: platform.IsDrop(err)}
		fresh = append(fresh, o)
		all = append(all, o)
	}
	st := aggregate(all)
	recorded := prev.recorded
	if bookkeeping && st != statusSuccess && (hasFailure(fresh) || recorded) {
		if err := failures.recordFailures(ctx, ev, fresh); err != nil {
			s.log.Error("dapr: cannot record a failed delivery; asking for a retry", "event", ev.ID, "topic", ev.Topic, "err", err)
			fresh = unsettleDrops(fresh)
			st = statusRetry
		} else {
			recorded = true
		}
	}
	switch {
	case st == statusRetry:
		s.memo.put(key, fresh, recorded)
	case st == statusSuccess && recorded && bookkeeping:
		s.memo.remove(key)
		if err := failures.clearFailures(ctx, ev.ID, names(all)); err != nil {
			s.log.Warn("dapr: cannot clear the failures of a delivered event", "event", ev.ID, "err", err)
		}
	default:
		s.memo.remove(key)
	}
	return st
}

// serveDeadLetter handles POST /events/deadletters.{name}: daprd gave up
// delivering an event to the Dapr subscription routed to name (the handler
// dropped it, its retries ran out, or the app could not be reached) and
// published it on that subscription's dead-letter topic. The event becomes
// the dead letters of name's group, addressed by the topic alone, so no
// failure record is needed to know whose they are.
func (s *Subscriber) serveDeadLetter(w http.ResponseWriter, r *http.Request, name string) {
	s.mu.Lock()
	var subs []string
	var topic string
	if g := s.byName[name]; g != nil {
		topic = g.topic
		for _, sub := range g.subs {
			subs = append(subs, sub.Name)
		}
	}
	failures := s.failures
	s.mu.Unlock()
	if failures == nil {
		s.log.Warn("dapr: dead letter for an app without a dead-letter store; asking for a retry", "subscription", name)
		writeStatus(w, statusRetry)
		return
	}
	if subs == nil {
		// A declared subscription the app chose not to make (the BFF's cache
		// with --cache-ttl=0 answers 404 to every event): nothing failed.
		s.log.Debug("dapr: dead letter of a subscription this app does not make; acknowledged", "subscription", name)
		writeStatus(w, statusSuccess)
		return
	}
	ev, redrive, ok := s.readEvent(w, r, "dapr: undecodable dead letter dropped", "subscription", name)
	if !ok {
		return
	}
	// The subscription's topic, not the envelope's: daprd re-addresses the
	// event to the dead-letter topic, and a foreign producer sets no
	// dflixtopic.
	ev.Topic = topic
	if redrive != "" {
		// A redrive is another app's or subscription's business unless it
		// was addressed to one of these.
		subs = slices.DeleteFunc(subs, func(sub string) bool { return redrive != s.cfg.AppID+"/"+sub })
		if len(subs) == 0 {
			writeStatus(w, statusSuccess)
			return
		}
	}
	if err := failures.deadLettered(r.Context(), ev, subs); err != nil {
		s.log.Error("dapr: cannot record a dead letter; asking for a retry", "event", ev.ID, "subscription", name, "err", err)
		writeStatus(w, statusRetry)
		return
	}
	writeStatus(w, statusSuccess)
}

// readEvent reads and decodes the delivered CloudEvent. When it cannot, it
// has answered the sidecar already: RETRY for a body cut off in transit,
// DROP (logged with msg and the subscription's key and name) for one that
// can never be decoded.
func (s *Subscriber) readEvent(w http.ResponseWriter, r *http.Request, msg, key, name string) (platform.Event, string, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEventBytes+1))
	if err != nil {
		writeStatus(w, statusRetry)
		return platform.Event{}, "", false
	}
	ev, redrive, err := decodeEvent(body)
	if err != nil || len(body) > maxEventBytes {
		s.log.Error(msg, key, name, "err", err)
		writeStatus(w, statusDrop)
		return platform.Event{}, "", false
	}
	return ev, redrive, true
}

// call runs one handler, turning a panic into an error.
func (s *Subscriber) call(ctx context.Context, sub platform.Subscription, ev platform.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("dapr: event handler panicked", "subscription", sub.Name, "event", ev.ID, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return sub.Handle(ctx, ev)
}

// aggregate is the answer for a delivery's outcomes: retry while any handler
// wants a retry, else drop when any dropped, else success.
func aggregate(outcomes []outcome) ackStatus {
	st := statusSuccess
	for _, o := range outcomes {
		switch {
		case o.err != nil && !o.drop:
			return statusRetry
		case o.drop:
			st = statusDrop
		}
	}
	return st
}

func hasFailure(outcomes []outcome) bool {
	for _, o := range outcomes {
		if o.err != nil {
			return true
		}
	}
	return false
}

// unsettleDrops turns the drops among outcomes into retries, so that a drop
// whose bookkeeping failed is handled again rather than dead-lettered
// unrecorded.
func unsettleDrops(outcomes []outcome) []outcome {
	out := make([]outcome, 0, len(outcomes))
	for _, o := range outcomes {
		if !o.drop {
			out = append(out, o)
		}
	}
	return out
}

func names(outcomes []outcome) []string {
	out := make([]string, 0, len(outcomes))
	for _, o := range outcomes {
		out = append(out, o.sub)
	}
	return out
}
