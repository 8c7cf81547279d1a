package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// RPCOutage is what became of interactions sent at a steady rate, both
// transports interleaved, while catalog's app was down: killed (its sidecar
// runs on), restarted DownSeconds later the way daprrun started it. Times
// are seconds from the kill.
type RPCOutage struct {
	DownSeconds      float64        `json:"downSeconds"`
	BackAfterS       float64        `json:"backAfterSeconds"` // the restarted app answered /healthz
	RatePerSecond    int            `json:"ratePerSecondEach"`
	SendSeconds      float64        `json:"sendSeconds"`
	WaitLimitSeconds float64        `json:"waitLimitSeconds"` // after the sending, for the outcomes
	SettledAfterS    float64        `json:"settledAfterSeconds"`
	LateAfterMs      float64        `json:"lateAfterMs"`
	StepSeconds      float64        `json:"stepSeconds"`
	Invocation       OutageSide     `json:"invocation"`
	PubSub           OutageSide     `json:"pubsub"`
	Timeline         []OutageStep   `json:"timeline"`
	SidecarEvents    []SidecarEvent `json:"sidecarEvents"`
	// From SidecarEvents, -1 when it did not happen: catalog's sidecar
	// marked the app unhealthy, then healthy; the encoder's sidecar opened
	// its circuit breaker for catalog, then closed it.
	UnhealthyAtS     float64 `json:"unhealthyAtSeconds"`
	HealthyAtS       float64 `json:"healthyAgainAtSeconds"`
	BreakerOpenAtS   float64 `json:"breakerOpenAtSeconds"`
	BreakerClosedAtS float64 `json:"breakerClosedAtSeconds"`
}

// markEvents sets the times of the health and breaker changes.
func (o *RPCOutage) markEvents() {
	o.UnhealthyAtS, o.HealthyAtS, o.BreakerOpenAtS, o.BreakerClosedAtS = -1, -1, -1, -1
	for _, e := range o.SidecarEvents {
		switch {
		case strings.Contains(e.Message, "un-healthy") && o.UnhealthyAtS < 0:
			o.UnhealthyAtS = e.AtS
		case strings.Contains(e.Message, "entered healthy") && o.UnhealthyAtS >= 0 && o.HealthyAtS < 0:
			o.HealthyAtS = e.AtS
		case e.Sidecar == "encoder" && strings.HasSuffix(e.Message, "to open") && o.BreakerOpenAtS < 0:
			o.BreakerOpenAtS = e.AtS
		case e.Sidecar == "encoder" && strings.HasSuffix(e.Message, "to closed") && o.BreakerOpenAtS >= 0:
			o.BreakerClosedAtS = e.AtS
		}
	}
}

// OutageCounts sorts interactions by outcome. OnTime and Late took effect
// (within LateAfterMs of the send, or later); Failed were refused to the
// sender; DeadLettered were sent to the dead-letter topic by the sidecar
// after its delivery retries; Missing had none of these outcomes when the
// wait ended.
type OutageCounts struct {
	Sent         int `json:"sent"`
	OnTime       int `json:"onTime"`
	Late         int `json:"late"`
	Failed       int `json:"failed"`
	DeadLettered int `json:"deadLettered"`
	Missing      int `json:"missing"`
}

// OutageSide is one transport's outcomes. DeadLetterVisible counts the
// dead-lettered ones an admin sees (catalog's dead-letter store);
// FailedButApplied the failed ones that took effect all the same.
type OutageSide struct {
	OutageCounts
	FailedButApplied  int     `json:"failedButApplied"`
	DeadLetterVisible int     `json:"deadLetterVisibleToAdmins"`
	LateDelay         Dist    `json:"lateDelay"`
	FailTime          Dist    `json:"failTime"` // until the sender was told
	FirstOKSentAtS    float64 `json:"firstOkSentAtSeconds"`
	LastEffectAtS     float64 `json:"lastEffectAtSeconds"`
	// FailedAfterBack counts failures sent after the app answered again;
	// LastDeadSentAtS is when the last dead-lettered one was sent (-1:
	// none).
	FailedAfterBack int          `json:"failedAfterBack"`
	LastDeadSentAtS float64      `json:"lastDeadLetteredSentAtSeconds"`
	Errors          []ErrorCount `json:"errors,omitempty"`
}

// ErrorCount is how often the sender was refused for one reason.
type ErrorCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
	Sample string `json:"sample"`
}

// OutageStep is the outcomes of the interactions sent in one step of time.
type OutageStep struct {
	FromS      float64      `json:"fromSeconds"`
	Invocation OutageCounts `json:"invocation"`
	PubSub     OutageCounts `json:"pubsub"`
}

// SidecarEvent is a line a sidecar logged during the outage: app health
// changes and circuit breaker states.
type SidecarEvent struct {
	AtS     float64 `json:"atSeconds"`
	Sidecar string  `json:"sidecar"`
	Message string  `json:"message"`
}

// outageRec is one interaction of the outage; times are from the kill.
type outageRec struct {
	side   int
	ia     interaction
	sentAt time.Duration
	took   time.Duration
	err    error
	seen   bool
	seenAt time.Duration
	dead   bool
}

func (b *rpcBench) outage(ctx context.Context, videos []*rpcVideo, plan rpcPlan) (RPCOutage, error) {
	out := RPCOutage{DownSeconds: plan.down.Seconds(), RatePerSecond: plan.rate, SendSeconds: plan.window.Seconds(),
		WaitLimitSeconds: plan.wait.Seconds(), LateAfterMs: float64(plan.lateAfter.Milliseconds()), StepSeconds: plan.step.Seconds()}
	app, err := findCatalogApp(b.pl.Procs)
	if err != nil {
		return out, err
	}
	recs := make([]*outageRec, plan.outageInteractions())
	for i := range recs {
		ia, err := b.progress(videos[i])
		if err != nil {
			return out, err
		}
		recs[i] = &outageRec{side: i % 2, ia: ia}
	}
	w := &watcher{b: b, recs: recs}
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	kill := time.Now()
	if err := syscall.Kill(app.pid, syscall.SIGKILL); err != nil {
		return out, fmt.Errorf("rpc: kill catalog app %d: %w", app.pid, err)
	}
	b.env.Log.Info("rpc: catalog app killed", "pid", app.pid)
	go w.run(wctx, kill)
	back, err := b.sendThroughOutage(ctx, recs, app, kill, plan)
	if err != nil {
		return out, err
	}
	out.BackAfterS = round3(back.Seconds())
	out.SettledAfterS = round3(b.settle(ctx, w, kill, kill.Add(plan.window+plan.wait)).Seconds())
	stopWatch()
	visible, err := b.finalOutcomes(ctx, w, kill)
	if err != nil {
		return out, err
	}
	out.Invocation, out.PubSub, out.Timeline = classify(recs, visible, plan, back)
	out.SidecarEvents = sidecarEvents(filepath.Join(b.env.Work, "dapr-run", "logs"), kill, kill.Add(plan.window+plan.wait))
	out.markEvents()
	return out, nil
}

// catalogApp is how daprrun started catalog's app: enough to start it
// again the same way.
type catalogApp struct {
	pid       int
	args, env []string
	dir       string
}

// findCatalogApp finds catalog's app (not its sidecar) among the processes
// of the platform.
func findCatalogApp(set ProcSet) (catalogApp, error) {
	for _, pid := range set.PIDs() {
		args := procArgs(pid)
		if len(args) == 0 || filepath.Base(args[0]) != "dflix" || flagValue(args, "--target") != "catalog" {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "environ"))
		if err != nil {
			return catalogApp{}, fmt.Errorf("rpc: environment of catalog app %d: %w", pid, err)
		}
		dir, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
		if err != nil {
			return catalogApp{}, fmt.Errorf("rpc: directory of catalog app %d: %w", pid, err)
		}
		return catalogApp{pid: pid, args: args, env: strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00"), dir: dir}, nil
	}
	return catalogApp{}, fmt.Errorf("rpc: no catalog app among the platform's processes")
}

// sendThroughOutage sends recs at the plan's rate, alternating the
// transports, each send on its own (a refused call must not delay the next
// one), restarts catalog's app when plan.down has passed, and returns when
// every send has returned, with the time the app answered again.
func (b *rpcBench) sendThroughOutage(ctx context.Context, recs []*outageRec, app catalogApp, kill time.Time, plan rpcPlan) (time.Duration, error) {
	interval := time.Second / time.Duration(2*plan.rate)
	send := b.transports()
	back := make(chan time.Duration, 1)
	restarted := false
	var wg sync.WaitGroup
	for i, r := range recs {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Until(kill.Add(time.Duration(i) * interval))):
		}
		if !restarted && time.Since(kill) >= plan.down {
			if _, err := b.env.start(ProcSpec{Name: "catalog-restarted", Argv: app.args, Dir: app.dir, Env: app.env}); err != nil {
				return 0, fmt.Errorf("rpc: restart catalog app: %w", err)
			}
			restarted = true
			go func() {
				if waitHTTP(ctx, rpcCatalog+"/healthz", 2*time.Minute) == nil {
					back <- time.Since(kill)
				}
				close(back)
			}()
		}
		r.sentAt = time.Since(kill)
		wg.Go(func() {
			began := time.Now()
			r.err = send[r.side](ctx, r.ia.body)
			r.took = time.Since(began)
		})
	}
	wg.Wait()
	if !restarted {
		return 0, fmt.Errorf("rpc: the sending window (%v) ended before the restart (%v)", plan.window, plan.down)
	}
	d, ok := <-back
	if !ok {
		return 0, fmt.Errorf("rpc: the restarted catalog app did not answer /healthz")
	}
	return d, nil
}

// watcher reads the videos of the outage until stopped and notes when each
// interaction's effect showed.
type watcher struct {
	b    *rpcBench
	recs []*outageRec
	mu   sync.Mutex
}

func (w *watcher) run(ctx context.Context, kill time.Time) {
	for ctx.Err() == nil {
		w.poll(ctx, kill)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// poll reads the videos not seen yet once; the app may be down.
func (w *watcher) poll(ctx context.Context, kill time.Time) {
	w.mu.Lock()
	var videos []*rpcVideo
	for _, r := range w.recs {
		if !r.seen {
			videos = append(videos, r.ia.video)
		}
	}
	w.mu.Unlock()
	if len(videos) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, time.Second)
	got, err := w.b.percents(rctx, videos)
	cancel()
	if err != nil {
		return
	}
	at := time.Since(kill)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.recs {
		if !r.seen && reached(got, r.ia.video, r.ia.percent) {
			r.seen, r.seenAt = true, at
		}
	}
}

// settle waits until every interaction has an outcome or until deadline,
// and returns when that was, from the kill. A refused call is an outcome at
// once; a published event when it took effect or reached the dead-letter
// topic.
func (b *rpcBench) settle(ctx context.Context, w *watcher, kill, deadline time.Time) time.Duration {
	for {
		w.mu.Lock()
		var pending []*outageRec
		for _, r := range w.recs {
			if r.err == nil && !r.seen && !r.dead {
				pending = append(pending, r)
			}
		}
		w.mu.Unlock()
		if len(pending) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return time.Since(kill)
		}
		if dead, err := deadLetterTopic(ctx); err == nil {
			w.mu.Lock()
			for _, r := range pending {
				r.dead = r.side == 1 && strings.Contains(dead, `"`+r.ia.eventID+`"`)
			}
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// finalOutcomes reads every video of the outage once more (a refused call
// may have taken effect all the same) and returns the event ids of
// catalog's dead letters, the ones an admin sees.
func (b *rpcBench) finalOutcomes(ctx context.Context, w *watcher, kill time.Time) (map[string]bool, error) {
	w.poll(ctx, kill)
	var resp platform.ListDeadLettersResponse
	if err := b.catalogCall(ctx, platform.MethodListDeadLetters, platform.ListDeadLettersRequest{}, &resp); err != nil {
		return nil, fmt.Errorf("rpc: dead letters: %w", err)
	}
	visible := map[string]bool{}
	for _, d := range resp.DeadLetters {
		visible[d.Event.ID] = true
	}
	return visible, nil
}

// deadLetterTopic returns the whole dead-letter stream as Redis holds it
// (the redis pubsub component keeps a topic in a stream of its name).
func deadLetterTopic(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "redis-cli", "-h", "127.0.0.1", "-p", redisAddrPort, "--raw", "XRANGE", rpcDeadLetterTopic, "-", "+").Output()
	if err != nil {
		return "", fmt.Errorf("redis-cli xrange %s: %w", rpcDeadLetterTopic, err)
	}
	return string(out), nil
}

// classify sorts recs by outcome, per transport and per step of send time.
func classify(recs []*outageRec, visible map[string]bool, plan rpcPlan, back time.Duration) (inv, pub OutageSide, steps []OutageStep) {
	sides := [2]*OutageSide{&inv, &pub}
	var late, fail [2][]time.Duration
	errs := [2]map[string]*ErrorCount{{}, {}}
	for k := range sides {
		sides[k].FirstOKSentAtS, sides[k].LastDeadSentAtS = -1, -1
	}
	for _, r := range recs {
		s := sides[r.side]
		i := int(r.sentAt / plan.step)
		for len(steps) <= i {
			steps = append(steps, OutageStep{FromS: float64(len(steps)) * plan.step.Seconds()})
		}
		step := [2]*OutageCounts{&steps[i].Invocation, &steps[i].PubSub}[r.side]
		s.Sent++
		step.Sent++
		switch {
		case r.err != nil:
			s.Failed++
			step.Failed++
			fail[r.side] = append(fail[r.side], r.took)
			countError(errs[r.side], r.err)
			if r.seen {
				s.FailedButApplied++
			}
			if r.sentAt > back {
				s.FailedAfterBack++
			}
		case r.seen:
			if d := r.seenAt - r.sentAt; d > plan.lateAfter {
				s.Late++
				step.Late++
				late[r.side] = append(late[r.side], d)
			} else {
				s.OnTime++
				step.OnTime++
			}
			if s.FirstOKSentAtS < 0 || r.sentAt.Seconds() < s.FirstOKSentAtS {
				s.FirstOKSentAtS = round3(r.sentAt.Seconds())
			}
			s.LastEffectAtS = max(s.LastEffectAtS, round3(r.seenAt.Seconds()))
		case r.dead:
			s.DeadLettered++
			step.DeadLettered++
			s.LastDeadSentAtS = max(s.LastDeadSentAtS, round3(r.sentAt.Seconds()))
			if visible[r.ia.eventID] {
				s.DeadLetterVisible++
			}
		default:
			s.Missing++
			step.Missing++
		}
	}
	for k, s := range sides {
		s.LateDelay, s.FailTime = distOf(late[k]), distOf(fail[k])
		for _, e := range errs[k] {
			s.Errors = append(s.Errors, *e)
		}
		slices.SortFunc(s.Errors, func(a, b ErrorCount) int { return cmp.Compare(b.Count, a.Count) })
	}
	return inv, pub, steps
}

// countError counts err under a short reason: what Dapr answered, by the
// phrases of its error messages.
func countError(m map[string]*ErrorCount, err error) {
	s := err.Error()
	reason := "other"
	for _, p := range []struct{ phrase, reason string }{
		{"circuit breaker is open", "circuit breaker open"},
		{"app is not in a healthy state", "app marked unhealthy"},
		{"error invoking app channel", "the sidecar could not reach the app"},
		{"deadline exceeded", "timeout"},
		{"connection refused", "the sender's sidecar refused"},
		{`"status"`, "the handler did not succeed"},
	} {
		if strings.Contains(s, p.phrase) {
			reason = p.reason
			break
		}
	}
	if m[reason] == nil {
		m[reason] = &ErrorCount{Reason: reason, Sample: fmt.Sprintf("%.400s", s)}
	}
	m[reason].Count++
}

// sidecarEvents reads from the sidecars' logs (daprrun writes one per
// process into its run dir) the app health changes of catalog's sidecar and
// the circuit breaker changes of the encoder's (the caller's breaker for
// catalog) between from and to.
func sidecarEvents(dir string, from, to time.Time) []SidecarEvent {
	var out []SidecarEvent
	for _, src := range []struct{ file, phrase string }{
		{"catalog.daprd.log", "App entered"},
		{"catalog.daprd.log", "Circuit breaker"},
		{"encoder.daprd.log", "Circuit breaker"},
	} {
		f, err := os.Open(filepath.Join(dir, src.file))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if !strings.Contains(line, src.phrase) {
				continue
			}
			at, ok := logField(line, "time")
			t, err := time.Parse(time.RFC3339Nano, at)
			if !ok || err != nil || t.Before(from.Add(-time.Second)) || t.After(to) {
				continue
			}
			msg, _ := logField(line, "msg")
			out = append(out, SidecarEvent{AtS: round3(t.Sub(from).Seconds()), Sidecar: strings.TrimSuffix(src.file, ".daprd.log"), Message: msg})
		}
		f.Close()
	}
	slices.SortFunc(out, func(a, b SidecarEvent) int { return cmp.Compare(a.AtS, b.AtS) })
	return out
}

// logField is the quoted value of key in a daprd text log line
// (key="value").
func logField(line, key string) (string, bool) {
	_, rest, ok := strings.Cut(line, key+`="`)
	if !ok {
		return "", false
	}
	v, err := strconv.QuotedPrefix(`"` + rest)
	if err != nil {
		return "", false
	}
	s, err := strconv.Unquote(v)
	return s, err == nil
}
