package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/faults"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/dflix/dflix/services/subscription/sandbox"
)

// faultyPlatform is what runAll wires (every service and the BFF on one
// embedded bus), with an Injector between the bus and every subscriber
// and between every publisher and the bus.
type faultyPlatform struct {
	t     *testing.T
	st    *stores
	inj   *faults.Injector
	pub   *countingPublisher
	auth  *auth.Service
	cat   *catalog.Service
	enc   *encoder.Service
	sub   *subscription.Service
	srv   *bff.Server
	admin platform.Caller
}

// countingPublisher counts the events published per topic.
type countingPublisher struct {
	next platform.Publisher
	mu   sync.Mutex
	n    map[string]int
}

func (p *countingPublisher) Publish(ctx context.Context, ev platform.Event) error {
	if err := p.next.Publish(ctx, ev); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n[ev.Topic]++
	return nil
}

func (p *countingPublisher) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.n {
		out[k] = v
	}
	return out
}

// startFaultyPlatform starts the platform in a temporary directory with
// the faults of fc (the zero Config injects none). The encoder records
// jobs but runs none: the workload publishes the encoder's events itself.
func startFaultyPlatform(t *testing.T, fc faults.Config) *faultyPlatform {
	t.Helper()
	cfg, err := parseConfig([]string{"--data-dir", t.TempDir(), "--argon2-memory-mib", "1",
		"--billing-day", "24h", "--renewal-interval", "1h"}, io.Discard)
	require.NoError(t, err)
	log := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := openEmbedded(cfg)
	require.NoError(t, err)
	p := &faultyPlatform{t: t, st: st, inj: faults.New(fc)}
	p.pub = &countingPublisher{next: p.inj.Publisher(st.bus), n: map[string]int{}}

	acfg := auth.Config{Argon2: auth.DefaultArgon2Params}
	acfg.Argon2.MemoryKiB = cfg.ArgonMemoryKiB
	p.auth, err = auth.New(acfg, st.auth, p.pub, nil, log)
	require.NoError(t, err)
	indexDir := filepath.Join(cfg.DataDir, "index")
	require.NoError(t, os.MkdirAll(indexDir, 0o750))
	p.cat, err = catalog.New(ctx, catalog.Config{IndexDir: indexDir}, st.catalog, p.pub, nil, log)
	require.NoError(t, err)
	p.enc, err = newEncoder(ctx, cfg, st.encoder, st.blobs, p.pub, "all-in-one", nil, log)
	require.NoError(t, err)
	payments := gateway.New(embedded.NewHTTPBinding(sandbox.New(st.sandbox, nil, log), ""))
	p.sub, err = newSubscription(ctx, cfg, st.billing, p.pub, payments, log)
	require.NoError(t, err)
	keys, err := media.LoadKeyRing(ctx, st.bff, media.KeyRingConfig{Logger: log.With("service", "bff")})
	require.NoError(t, err)
	bcfg := bffConfig(cfg)
	bcfg.CacheTTL = time.Hour // only events can make a cached read current
	p.srv, err = bff.New(bcfg, bff.Deps{Auth: p.auth, Catalog: p.cat, Subscription: p.sub, DeadLetters: st.bus,
		Blobs: st.blobs, State: st.bff, Publisher: p.pub, MediaKeys: keys, Logger: log})
	require.NoError(t, err)
	require.NoError(t, subscribeAll(ctx, p.inj.Subscriber(st.bus), p.cat.Subscriptions(), p.enc.Subscriptions(), p.srv.Subscriptions()))
	require.NoError(t, st.bus.Start(ctx))

	var loops sync.WaitGroup
	for _, r := range []interface{ Run(context.Context) error }{p.auth, p.cat, p.sub, p.srv} {
		loops.Go(func() {
			if err := r.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("background loop: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		cancel()
		loops.Wait()
		p.inj.Close()
		require.NoError(t, st.bus.Close())
		p.cat.Close()
		require.NoError(t, st.Close())
	})
	admin, err := p.auth.EnsureAdmin(ctx, auth.EnsureAdminRequest{Email: "admin@faults.test", Password: "admin password 1", DisplayName: "Admin"})
	require.NoError(t, err)
	p.admin = platform.Caller{UserID: admin.User.ID, Role: platform.RoleAdmin}
	return p
}

// drain waits until every subscription has settled every event published
// so far (handled, dropped, or given up on into the dead letters) and the
// Injector has delivered every copy it holds.
func (p *faultyPlatform) drain() {
	p.t.Helper()
	var last []faults.Unsettled
	require.Eventually(p.t, func() bool {
		dead := p.deadLetters()
		last = last[:0]
		for _, u := range p.inj.Pending() {
			if u.Copy || !dead[u.Subscription+" "+u.EventID] {
				last = append(last, u)
			}
		}
		return len(last) == 0
	}, time.Minute, 10*time.Millisecond, "unsettled: %v", &last)
}

// deadLetters returns the dead letters as "subscription eventID" keys.
func (p *faultyPlatform) deadLetters() map[string]bool {
	p.t.Helper()
	list, err := p.st.bus.ListDeadLetters(context.Background())
	require.NoError(p.t, err)
	out := map[string]bool{}
	for _, dl := range list {
		out[dl.Subscription+" "+dl.Event.ID] = true
	}
	return out
}

// publish publishes an event of the encoder's, as if it ran the job.
func (p *faultyPlatform) publish(topic, typ string, payload any) platform.Event {
	p.t.Helper()
	ev, err := platform.NewEvent(encoder.AppID, topic, typ, time.Now(), payload)
	require.NoError(p.t, err)
	require.NoError(p.t, p.pub.Publish(context.Background(), ev))
	return ev
}

// graphql posts one query to the BFF as token (empty: anonymous) and
// returns the decoded response.
func (p *faultyPlatform) graphql(token, query string, vars map[string]any) gqlResponse {
	p.t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(p.t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	p.srv.ServeHTTP(rec, req)
	var out gqlResponse
	require.NoError(p.t, json.Unmarshal(rec.Body.Bytes(), &out), rec.Body.String())
	return out
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// code is the first error's extensions.code, or "OK".
func (r gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return "OK"
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}
