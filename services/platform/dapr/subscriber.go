package dapr

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/dflix/dflix/services/platform"
)

var _ platform.Subscriber = (*Subscriber)(nil)

// EventsRoutePrefix is the path under which subscriptions are delivered:
// subscription "reindex" is served at POST /events/reindex.
const EventsRoutePrefix = "/events/"

// deadLetterRoute is reserved: subscription names starting with it plus
// deadLetterSep are DeadLetterStore's routes, one per Dapr subscription
// (POST /events/deadletters.<name>).
const deadLetterRoute = "deadletters"

// deadLetterSep joins deadLetterRoute (or Config.DeadLetterTopic) and a
// subscription's name into its dead-letter route (or topic). A dot is valid
// in a Redis stream key, a RabbitMQ exchange name, an MQTT topic (which
// reserves '/', '+' and '#') and a Kubernetes resource name.
const deadLetterSep = "."

// Subscriber is the app side of Dapr pub/sub over HTTP, a
// platform.Subscriber. Subscribe registers subscriptions; Routes serves
// them: GET /dapr/subscribe tells the sidecar what to deliver where, and
// POST /events/<name> receives the deliveries.
//
// The sidecar reads /dapr/subscribe once, when it first reaches the app, so
// every Subscribe must happen before the app serves (unless
// Config.DeclarativeSubscriptions). Dapr allows one subscription per
// component and topic per app, so the subscriptions of one topic share one
// Dapr subscription, routed to the first one's name; a delivery runs each of
// their handlers, and a handler that already acknowledged (or dropped) an
// event is not run again when the sidecar retries it for another.
type Subscriber struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	groups   []*group
	byName   map[string]*group
	served   bool
	failures failureRecorder
	memo     *memo
}

// group is the subscriptions of one app to one topic of one component: one
// Dapr subscription.
type group struct {
	pubsub, topic, route string
	deadLetterTopic      string
	subs                 []platform.Subscription
}

// failureRecorder keeps, for DeadLetterStore, what failed when, so a dead
// letter can say which subscription failed, how often and why, and turns a
// dead-lettered event into dead letters.
type failureRecorder interface {
	recordFailures(ctx context.Context, ev platform.Event, outcomes []outcome) error
	clearFailures(ctx context.Context, eventID string, subs []string) error
	// deadLettered records ev, which daprd dead-lettered from the Dapr
	// subscription of subs (one group), as their dead letters.
	deadLettered(ctx context.Context, ev platform.Event, subs []string) error
}

// Subscriber returns the Subscriber of s; every call returns the same one.
func (s *Sidecar) Subscriber() *Subscriber {
	s.subOnce.Do(func() {
		s.sub = &Subscriber{cfg: s.cfg, log: s.log, byName: map[string]*group{}, memo: newMemo(memoSize)}
	})
	return s.sub
}

// Subscribe registers sub. Name must be unique in the app and usable in a
// URL path ([A-Za-z0-9._-]); Broadcast subscriptions use
// Config.BroadcastPubSub, the others Config.PubSub. Each Dapr subscription
// sends its dead letters to a topic of its own, Config.DeadLetterTopic +
// "." + its name (the first of its group's names), so that the app hears of
// them even when daprd could not reach it at all.
//
// Errors: KindInvalid for a subscription without topic, name or handler, or
// with a name taken or reserved ("deadletters", "deadletters.*");
// KindInternal after the sidecar has read the subscriptions.
func (s *Subscriber) Subscribe(_ context.Context, sub platform.Subscription) error {
	if sub.Name == deadLetterRoute || strings.HasPrefix(sub.Name, deadLetterRoute+deadLetterSep) {
		return platform.Errorf(platform.KindInvalid, "dapr: subscribe: name %q is reserved", sub.Name)
	}
	return s.add(sub)
}

// add registers sub.
func (s *Subscriber) add(sub platform.Subscription) error {
	if sub.Topic == "" || sub.Handle == nil || !appIDPattern.MatchString(sub.Name) {
		return platform.Errorf(platform.KindInvalid, "dapr: subscribe %q to %q: needs a topic, a handler and a name of [A-Za-z0-9._-]", sub.Name, sub.Topic)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.served && !s.cfg.DeclarativeSubscriptions {
		return platform.Errorf(platform.KindInternal, "dapr: subscribe %q: the sidecar has read the subscriptions already; subscribe before serving", sub.Name)
	}
	if _, taken := s.byName[sub.Name]; taken {
		return platform.Errorf(platform.KindInvalid, "dapr: subscribe %q: name already subscribed", sub.Name)
	}
	pubsub := s.cfg.PubSub
	if sub.Broadcast {
		pubsub = s.cfg.BroadcastPubSub
	}
	i := slices.IndexFunc(s.groups, func(g *group) bool { return g.pubsub == pubsub && g.topic == sub.Topic })
	if i < 0 {
		dlt := s.cfg.DeadLetterTopic + deadLetterSep + sub.Name
		s.groups = append(s.groups, &group{pubsub: pubsub, topic: sub.Topic, route: sub.Name, deadLetterTopic: dlt})
		i = len(s.groups) - 1
	}
	g := s.groups[i]
	g.subs = append(g.subs, sub)
	s.byName[sub.Name] = g
	return nil
}

// Routes serves GET /dapr/subscribe and POST /events/{name} on mux (the
// dead letters too, at POST /events/deadletters.<name>).
func (s *Subscriber) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /dapr/subscribe", s.serveSubscriptions)
	mux.HandleFunc("POST "+EventsRoutePrefix+"{name}", s.serveEvent)
}

// subscriptionJSON is one entry of GET /dapr/subscribe.
type subscriptionJSON struct {
	PubSubName      string `json:"pubsubname"`
	Topic           string `json:"topic"`
	Route           string `json:"route"`
	DeadLetterTopic string `json:"deadLetterTopic,omitempty"`
}

// serveSubscriptions answers the sidecar's GET /dapr/subscribe.
func (s *Subscriber) serveSubscriptions(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	s.served = true
	out := []subscriptionJSON{}
	if !s.cfg.DeclarativeSubscriptions {
		for _, si := range s.subscriptionsLocked() {
			out = append(out, subscriptionJSON{PubSubName: si.PubSub, Topic: si.Topic, Route: si.Route, DeadLetterTopic: si.DeadLetterTopic})
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// Subscriptions lists what GET /dapr/subscribe declares (in declarative
// mode, what the Subscription resources must declare), for docs and checks.
func (s *Subscriber) Subscriptions() []SubscriptionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscriptionsLocked()
}

// subscriptionsLocked lists the app's Dapr subscriptions: one per group and,
// with a DeadLetterStore, one per group's dead-letter topic on
// Config.PubSub (competing consumers: one instance records each letter; the
// broadcast component shares the broker, so it reaches the same topic).
// Dead letters get no dead-letter topic: one that cannot be recorded is
// retried, never re-lettered.
func (s *Subscriber) subscriptionsLocked() []SubscriptionInfo {
	out := make([]SubscriptionInfo, 0, 2*len(s.groups))
	for _, g := range s.groups {
		out = append(out, SubscriptionInfo{PubSub: g.pubsub, Topic: g.topic, Route: EventsRoutePrefix + g.route, DeadLetterTopic: g.deadLetterTopic})
	}
	if s.failures == nil {
		return out
	}
	for _, g := range s.groups {
		out = append(out, SubscriptionInfo{PubSub: s.cfg.PubSub, Topic: g.deadLetterTopic, Route: EventsRoutePrefix + deadLetterRoute + deadLetterSep + g.route})
	}
	return out
}

// SubscriptionInfo is one Dapr subscription of the app.
type SubscriptionInfo struct {
	PubSub, Topic, Route, DeadLetterTopic string
}

// ackStatus is the answer to a delivery that Dapr understands.
type ackStatus string

const (
	statusSuccess ackStatus = "SUCCESS"
	statusRetry   ackStatus = "RETRY"
	statusDrop    ackStatus = "DROP"
)

// writeStatus answers a delivery.
func writeStatus(w http.ResponseWriter, st ackStatus) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"status":%q}`, st)
}
