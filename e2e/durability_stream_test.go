package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// stream is one writer: rounds of dependent mutations (a viewer registers;
// the admin creates, renames and publishes a video; the viewer tags it,
// subscribes, maybe changes plan or cancels, and records progress in it).
// An attempt that fails without a definite answer is in flight: the writer
// sends it again (each mutation is safe to repeat, or a CONFLICT says it
// happened) until it is acknowledged or the stream is stopped. Both modes
// share it: in one process a kill stops the stream, in Dapr mode writers
// retry through the kills until the test stops them.
type stream struct {
	name    string
	url     string
	admin   *client
	led     *ledger
	plans   [2]string
	rng     *rand.Rand
	stopped func() bool
}

// answer is the outcome of one attempt: code is "" when acknowledged, the
// first error's extensions.code, or noAnswer when no answer came.
type answer struct {
	data json.RawMessage
	code string
	msg  string
}

const noAnswer = "NO_ANSWER"

// newStream returns writer number n of a run seeded with seed.
func newStream(name, url string, admin *client, led *ledger, plans [2]string, seed uint64, n int, stopped func() bool) *stream {
	return &stream{name: name, url: url, admin: admin, led: led, plans: plans,
		rng: rand.New(rand.NewPCG(seed, uint64(n))), stopped: stopped}
}

func (s *stream) send(c *client, query string, vars map[string]any) answer {
	resp, err := c.do(query, vars)
	switch {
	case err != nil:
		return answer{code: noAnswer, msg: err.Error()}
	case len(resp.Errors) > 0:
		return answer{code: resp.Errors[0].Code(), msg: resp.Errors[0].Message}
	}
	return answer{data: resp.Data}
}

// attempt sends a mutation until it is acknowledged (it returns the data,
// true) or the stream stops (nil, false). settle, when given, reads a
// failed attempt: done says the failure settles the outcome, ok whether
// the write is then known to have happened (a CONFLICT after an attempt in
// flight). Every other failure is counted in flight, inflight applied, and
// sent again after a short delay.
func (s *stream) attempt(kind string, c *client, query string, vars map[string]any,
	settle func(a answer, earlier bool) (done, ok bool), inflight func()) (json.RawMessage, bool) {
	delay, earlier := 50*time.Millisecond, false
	for !s.stopped() {
		a := s.send(c, query, vars)
		if a.code == "" {
			return a.data, true
		}
		if settle != nil {
			if done, ok := settle(a, earlier); done {
				return nil, ok
			}
		}
		earlier = true
		if kind != "" { // "" for reads, which the figures leave out
			s.led.unknown(kind, inflight)
		}
		time.Sleep(delay) // a retry delay while a part is down, not a wait for an event
		delay = min(2*delay, time.Second)
	}
	return nil, false
}

// conflictAfter settles a CONFLICT that follows an attempt in flight: that
// attempt happened.
func conflictAfter(a answer, earlier bool) (bool, bool) {
	return a.code == "CONFLICT" && earlier, true
}

// run sends up to rounds rounds, until the stream stops.
func (s *stream) run(rounds int) {
	for i := 0; i < rounds && !s.stopped(); i++ {
		if !s.round(i) {
			return
		}
	}
}

// round is one viewer's and one video's mutations; false once stopped.
func (s *stream) round(i int) bool {
	m := s.led.marker
	acc := &account{email: fmt.Sprintf("%s-%s-%d@durable.test", m, s.name, i), password: "durable-pass-1", tags: map[string]string{}}
	s.led.with(func() { s.led.accounts[acc.email] = acc })
	viewer, ok := s.register(acc)
	if !ok {
		return false
	}
	id, ok := s.createVideo(fmt.Sprintf("%s %s draft %d", m, s.name, i))
	if !ok || !s.rename(id, fmt.Sprintf("%s %s final %d", m, s.name, i)) || !s.publish(id) {
		return false
	}
	if !s.addTag(acc, viewer, id, fmt.Sprintf("%s-%s-tag-%d", m, s.name, i)) {
		return false
	}
	if subscribed, ok := s.subscribe(acc, viewer); !ok {
		return false
	} else if subscribed && !s.lifecycle(acc, viewer) {
		return false
	}
	return s.progress(acc, viewer, id)
}

func (s *stream) register(acc *account) (*client, bool) {
	c := newClient(s.url)
	data, ok := s.attempt("register", c, `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p, displayName: "D"}) { accessToken } }`,
		map[string]any{"e": acc.email, "p": acc.password}, conflictAfter, nil)
	if !ok {
		return nil, false
	}
	s.led.ack("register", func() { acc.registered = true })
	var out struct{ Register struct{ AccessToken string } }
	if data != nil && json.Unmarshal(data, &out) == nil && out.Register.AccessToken != "" {
		return c.withToken(out.Register.AccessToken), true
	}
	// An earlier attempt registered the account: sign in (with the right
	// password, so no failed-login limit is near).
	data, ok = s.attempt("", c, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": acc.email, "p": acc.password}, nil, nil)
	var in struct{ Login struct{ AccessToken string } }
	if !ok || json.Unmarshal(data, &in) != nil {
		return nil, false
	}
	return c.withToken(in.Login.AccessToken), true
}

func (s *stream) createVideo(title string) (string, bool) {
	data, ok := s.attempt("createVideo", s.admin, `mutation($t: String!) { createVideo(input: {title: $t, releaseYear: 2020, durationSeconds: 60, ageRating: PG}) { id } }`,
		map[string]any{"t": title}, nil, func() { s.led.createsInFlight++ })
	var out struct{ CreateVideo struct{ ID string } }
	if !ok || json.Unmarshal(data, &out) != nil {
		return "", false
	}
	s.led.ack("createVideo", func() { s.led.videos[out.CreateVideo.ID] = &videoRec{title: title} })
	return out.CreateVideo.ID, true
}

func (s *stream) rename(id, title string) bool {
	_, ok := s.attempt("updateVideo", s.admin, `mutation($id: ID!, $t: String!) { updateVideo(id: $id, input: {title: $t}) { id } }`,
		map[string]any{"id": id, "t": title}, nil, func() { s.led.videos[id].sent = title })
	if ok {
		s.led.ack("updateVideo", func() { v := s.led.videos[id]; v.title, v.renamed = title, true })
	}
	return ok
}

func (s *stream) publish(id string) bool {
	_, ok := s.attempt("publishVideo", s.admin, `mutation($id: ID!) { publishVideo(id: $id) { id } }`, map[string]any{"id": id}, nil, nil)
	if ok {
		s.led.ack("publishVideo", func() { s.led.videos[id].published = true })
	}
	return ok
}

func (s *stream) addTag(acc *account, viewer *client, id, tag string) bool {
	_, ok := s.attempt("addTags", viewer, `mutation($id: ID!, $t: String!) { addTags(videoId: $id, tags: [$t]) }`,
		map[string]any{"id": id, "t": tag}, nil, nil)
	if ok {
		s.led.ack("addTags", func() { acc.tags[tag] = id })
	}
	return ok
}

// testCard is the sandbox gateway's always-approve card.
var testCard = map[string]any{"number": approveCard, "expMonth": 12, "expYear": 2035, "cvc": "123"}

// subscribe subscribes the viewer to one of the plans. A CONFLICT is read
// with mySubscription: a subscription there is an earlier attempt that
// happened; none means an interrupted attempt still holds the viewer's
// claim (it lapses after minutes), and after a few tries the writer moves
// on with the subscribe in flight. ok is false once stopped.
func (s *stream) subscribe(acc *account, viewer *client) (subscribed, ok bool) {
	plan := s.plans[s.rng.IntN(2)]
	claimed := 0
	settle := func(a answer, _ bool) (bool, bool) {
		if a.code != "CONFLICT" {
			return false, false
		}
		if s.hasSubscription(viewer) {
			return true, true
		}
		claimed++
		return claimed > 8, false
	}
	_, ok = s.attempt("subscribe", viewer, `mutation($p: ID!, $c: CardInput!) { subscribe(planId: $p, paymentMethod: $c) { status } }`,
		map[string]any{"p": plan, "c": testCard}, settle, func() { acc.subscribing = true })
	if ok {
		s.led.ack("subscribe", func() { acc.sub, acc.subscribing = &membership{plan: plan}, false })
		return true, true
	}
	return false, !s.stopped()
}

// hasSubscription reads whether the viewer has a subscription; a failed
// read says no.
func (s *stream) hasSubscription(viewer *client) bool {
	a := s.send(viewer, `{ mySubscription { status } }`, nil)
	var out struct{ MySubscription *struct{ Status string } }
	return a.code == "" && json.Unmarshal(a.data, &out) == nil && out.MySubscription != nil
}

// lifecycle changes the plan of a third of the subscriptions and cancels
// another third.
func (s *stream) lifecycle(acc *account, viewer *client) bool {
	sub := acc.sub
	switch s.rng.IntN(3) {
	case 0:
		next := s.plans[0]
		if next == sub.plan {
			next = s.plans[1]
		}
		// Asking again for the pending plan changes nothing: safe to repeat.
		_, ok := s.attempt("changePlan", viewer, `mutation($p: ID!) { changePlan(planId: $p) { status } }`,
			map[string]any{"p": next}, nil, func() { sub.nextInFlight = next })
		if ok {
			s.led.ack("changePlan", func() { sub.nextPlan = next; sub.changes++ })
		}
		return ok
	case 1:
		_, ok := s.attempt("cancelSubscription", viewer, `mutation { cancelSubscription { status } }`, nil,
			conflictAfter, func() { sub.cancelInFlight = true })
		if ok {
			s.led.ack("cancelSubscription", func() { sub.canceled = true; sub.cancels++ })
		}
		return ok
	}
	return true
}

// progress records three increasing positions in the video.
func (s *stream) progress(acc *account, viewer *client, id string) bool {
	w := &watching{video: id, last: -1}
	s.led.with(func() { acc.watch = w })
	for k := 1; k <= 3; k++ {
		pos := float64(10*k + s.rng.IntN(5))
		_, ok := s.attempt("recordProgress", viewer, `mutation($id: ID!, $p: Float!) { recordProgress(videoId: $id, positionSeconds: $p) { positionSeconds } }`,
			map[string]any{"id": id, "p": pos}, nil, func() { w.inFlight = append(w.inFlight, pos) })
		if !ok {
			return false
		}
		s.led.ack("recordProgress", func() { w.last = pos; w.acked++ })
	}
	return true
}

// createPlans has the admin create the two yearly plans the writers
// subscribe to and switch between: yearly, so no renewal charges them
// during the test even with billing days of seconds.
func createPlans(t *testing.T, admin *client, marker string) [2]string {
	t.Helper()
	var ids [2]string
	for i := range ids {
		var out struct{ CreatePlan struct{ ID string } }
		admin.must(t, `mutation($n: String!, $p: Int64!) { createPlan(input: {name: $n, priceMinor: $p, period: YEARLY, maxResolution: 720, maxStreams: 2}) { id } }`,
			map[string]any{"n": fmt.Sprintf("%s plan %d", marker, i), "p": 999 + 100*i}, &out)
		ids[i] = out.CreatePlan.ID
	}
	return ids
}
