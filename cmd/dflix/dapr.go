package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/demo"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/dapr"
	"github.com/dflix/dflix/services/platform/telemetry"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/dflix/dflix/services/subscription/sandbox"
)

// The Dapr component names every set in components/ defines.
const (
	authStore    = "auth-state"
	catalogStore = "catalog-state"
	bffStore     = "bff-state"
	encoderStore = "encoder-state"
	billingStore = "subscription-state"
	// paymentsBinding is the bindings.http output binding to the payment
	// gateway; renewalsBinding the bindings.cron input binding that runs
	// the renewal sweep.
	paymentsBinding = "payments"
	renewalsBinding = "renewals"
)

// systemAdmin is who seeds the demo catalog in Dapr mode, where the catalog
// process has no account of its own to act as.
var systemAdmin = platform.Caller{UserID: "00000000-0000-7000-8000-000000000001", Role: platform.RoleAdmin}

// app is one service mounted on the process's mux, with what it must run
// beside the server.
type app struct {
	relays []interface{ Run(context.Context) error }
	close  func() error
}

// runDapr runs the one service named by --target beside its Dapr sidecar:
// state, events, blobs and calls to other services all go through the
// sidecar, and the service's API is served to other apps at /rpc/.
func runDapr(ctx context.Context, cfg config, log *slog.Logger, tel *telemetry.Telemetry, stdout io.Writer) error {
	_, port, err := splitPort(cfg.Addr)
	if err != nil {
		return err
	}
	sc, err := dapr.Connect(ctx, dapr.Config{AppID: cfg.Target, AppPort: port, HTTPPort: cfg.DaprHTTPPort,
		GRPCPort: cfg.DaprGRPCPort, APIToken: cfg.DaprAPIToken, Logger: log,
		// components/subscriptions declares every subscription in YAML.
		DeclarativeSubscriptions: true})
	if err != nil {
		return err
	}
	defer sc.Close()
	mux := http.NewServeMux()
	obs := observe(tel, log, sc.Publisher(), sc.Subscriber(), sc.Invoker())
	var a app
	switch cfg.Target {
	case "auth":
		a, err = mountAuth(ctx, cfg, log, sc, obs, mux)
	case "catalog":
		a, err = mountCatalog(ctx, cfg, log, sc, obs, mux)
	case "bff":
		a, err = mountBFF(ctx, cfg, log, sc, obs, mux)
	case "encoder":
		a, err = mountEncoder(ctx, cfg, log, sc, obs, mux)
	case "subscription":
		a, err = mountSubscription(ctx, cfg, log, sc, obs, mux)
	default:
		return fmt.Errorf("--target=%s is not built yet", cfg.Target)
	}
	if err != nil {
		return err
	}
	if a.close != nil {
		defer a.close()
	}
	if cfg.Target != "bff" { // the BFF serves its own health routes
		mountHealth(mux, sc)
	}
	sc.Subscriber().Routes(mux)
	var wg sync.WaitGroup
	relayCtx, stop := context.WithCancel(ctx)
	defer func() { stop(); wg.Wait() }()
	for _, r := range a.relays {
		wg.Go(func() {
			if err := r.Run(relayCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("background loop stopped", "err", err)
			}
		})
	}
	wg.Go(func() {
		if err := serveMetrics(relayCtx, cfg, tel, log); err != nil {
			log.Error("metrics listener stopped", "addr", cfg.MetricsAddr, "err", err)
		}
	})
	return serve(ctx, cfg, log, instrument(tel, log, mux, cfg.MetricsAddr), func(addr string) {
		log.Info("listening", "addr", addr, "target", cfg.Target, "dapr_http_port", cfg.DaprHTTPPort)
		fmt.Fprintf(stdout, "dflix ready at %s (%s beside its Dapr sidecar)\n", publicURL(addr), cfg.Target)
	})
}

func mountHealth(mux *http.ServeMux, sc *dapr.Sidecar) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := sc.Ready(r.Context()); err != nil {
			http.Error(w, "sidecar not ready", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func mountAuth(ctx context.Context, cfg config, log *slog.Logger, sc *dapr.Sidecar, obs observed, mux *http.ServeMux) (app, error) {
	svc, err := auth.New(authConfig(cfg), sc.State(authStore), obs.pub, nil, log.With("service", "auth"))
	if err != nil {
		return app{}, fmt.Errorf("start auth: %w", err)
	}
	if cfg.AdminEmail != "" {
		resp, err := svc.EnsureAdmin(ctx, auth.EnsureAdminRequest{Email: cfg.AdminEmail, Password: cfg.AdminPassword, DisplayName: "Administrator"})
		if err != nil {
			return app{}, fmt.Errorf("bootstrap admin %s: %w", cfg.AdminEmail, err)
		}
		log.Info("admin ready", "email", resp.User.Email, "created", resp.Created)
	}
	mux.Handle("/"+platform.RoutePrefix, auth.NewHandler(svc))
	return app{relays: []interface{ Run(context.Context) error }{svc}}, nil
}

func mountCatalog(ctx context.Context, cfg config, log *slog.Logger, sc *dapr.Sidecar, obs observed, mux *http.ServeMux) (app, error) {
	state := sc.State(catalogStore)
	indexDir := filepath.Join(cfg.DataDir, "index")
	if err := os.MkdirAll(indexDir, 0o750); err != nil {
		return app{}, fmt.Errorf("index dir: %w", err)
	}
	svc, err := catalog.New(ctx, catalog.Config{IndexDir: indexDir}, state, obs.pub, nil, log.With("service", "catalog"))
	if err != nil {
		return app{}, fmt.Errorf("start catalog: %w", err)
	}
	dead, err := sc.DeadLetters(state)
	if err == nil {
		err = obs.tel.DeadLetters(dead)
	}
	if err != nil {
		return app{}, errors.Join(err, svc.Close())
	}
	if err := subscribeAll(ctx, obs.sub, svc.Subscriptions()); err != nil {
		return app{}, errors.Join(err, svc.Close())
	}
	if cfg.SeedDemo {
		stats, err := demo.Seed(ctx, svc, systemAdmin)
		if err != nil {
			return app{}, errors.Join(fmt.Errorf("seed demo catalog: %w", err), svc.Close())
		}
		log.Info("demo catalog ready", "videos", stats.Videos)
	}
	rpc := http.NewServeMux()
	rpc.Handle("/", catalog.NewHandler(svc))
	platform.DeadLetterRoutes(rpc, dead)
	mux.Handle("/"+platform.RoutePrefix, rpc)
	return app{relays: []interface{ Run(context.Context) error }{svc}, close: svc.Close}, nil
}

func mountBFF(ctx context.Context, cfg config, log *slog.Logger, sc *dapr.Sidecar, obs observed, mux *http.ServeMux) (app, error) {
	inv := obs.inv
	state := sc.State(bffStore)
	dead, err := sc.DeadLetters(state)
	if err == nil {
		err = obs.tel.DeadLetters(dead)
	}
	if err != nil {
		return app{}, err
	}
	gqlMetrics, streams, err := bffTelemetry(obs.tel)
	if err != nil {
		return app{}, err
	}
	keys, err := media.LoadKeyRing(ctx, state, media.KeyRingConfig{Logger: log.With("service", "bff")})
	if err != nil {
		return app{}, fmt.Errorf("media signing key: %w", err)
	}
	bcfg := bffConfig(cfg)
	bcfg.CacheTTL = cfg.CacheTTL
	srv, err := bff.New(bcfg, bff.Deps{
		Auth:         auth.NewClient(inv),
		Catalog:      catalog.NewClient(inv),
		Subscription: subscription.NewClient(inv),
		DeadLetters: platform.FederatedDeadLetters{
			"bff":              dead,
			catalog.AppID:      platform.NewRemoteDeadLetters(inv, catalog.AppID),
			encoder.AppID:      platform.NewRemoteDeadLetters(inv, encoder.AppID),
			subscription.AppID: platform.NewRemoteDeadLetters(inv, subscription.AppID),
		},
		Blobs: sc.Blobs(), State: state, Publisher: obs.pub, MediaKeys: keys,
		Logger: log.With("service", "bff"), Metrics: gqlMetrics,
	})
	if err != nil {
		return app{}, fmt.Errorf("start bff: %w", err)
	}
	if err := subscribeAll(context.Background(), obs.sub, srv.Subscriptions()); err != nil {
		return app{}, err
	}
	mux.Handle("/", streams.Middleware(srv))
	// srv.Run catches up with the revocations auth published before this
	// replica subscribed.
	return app{relays: []interface{ Run(context.Context) error }{srv}}, nil
}

// mountEncoder runs the encoder: jobs in its own store, sources and
// outputs through the blob binding. Its instance id is the host name, so a
// restarted encoder (the same pod, the same machine) takes its interrupted
// jobs up again at once; another instance waits for their leases to lapse.
// The port tells apart replicas on one host.
func mountEncoder(ctx context.Context, cfg config, log *slog.Logger, sc *dapr.Sidecar, obs observed, mux *http.ServeMux) (app, error) {
	state := sc.State(encoderStore)
	host, err := os.Hostname()
	if err != nil {
		return app{}, fmt.Errorf("encoder instance id: %w", err)
	}
	_, port, err := splitPort(cfg.Addr)
	if err != nil {
		return app{}, err
	}
	metrics := newEncoderMetrics()
	if err := obs.tel.Register(metrics); err != nil {
		return app{}, err
	}
	svc, err := newEncoder(ctx, cfg, state, sc.Blobs(), obs.pub, fmt.Sprintf("encoder@%s:%d", host, port), metrics, log)
	if err != nil {
		return app{}, err
	}
	dead, err := sc.DeadLetters(state)
	if err == nil {
		err = obs.tel.DeadLetters(dead)
	}
	if err != nil {
		return app{}, err
	}
	if err := subscribeAll(ctx, obs.sub, svc.Subscriptions()); err != nil {
		return app{}, err
	}
	rpc := http.NewServeMux()
	rpc.Handle("/", encoder.NewHandler(svc))
	platform.DeadLetterRoutes(rpc, dead)
	mux.Handle("/"+platform.RoutePrefix, rpc)
	return app{relays: []interface{ Run(context.Context) error }{svc}}, nil
}

// mountSubscription runs the subscription service: plans and
// subscriptions in its own store, charges through the payments output
// binding, renewals from the renewals cron binding (every replica's cron
// fires; the sweep is exactly-once across them). It also serves the
// built-in sandbox payment gateway at /sandbox/, where the payments binding
// of the component sets points (records in the same store, under
// "sandbox/"); a real deployment points the binding at its gateway instead.
func mountSubscription(ctx context.Context, cfg config, log *slog.Logger, sc *dapr.Sidecar, obs observed, mux *http.ServeMux) (app, error) {
	state := sc.State(billingStore)
	svc, err := newSubscription(ctx, cfg, state, obs.pub, gateway.New(sc.Binding(paymentsBinding)), log)
	if err != nil {
		return app{}, err
	}
	dead, err := sc.DeadLetters(state)
	if err == nil {
		err = obs.tel.DeadLetters(dead)
	}
	if err != nil {
		return app{}, err
	}
	sc.InputBinding(mux, renewalsBinding, func(ctx context.Context) error {
		resp, err := svc.Renew(ctx, subscription.RenewRequest{})
		if err == nil && resp != (subscription.RenewResponse{}) {
			log.Info("renewal sweep", "renewed", resp.Renewed, "activated", resp.Activated, "failed", resp.Failed,
				"expired", resp.Expired, "deferred", resp.Deferred, "recovered", resp.Recovered)
		}
		return err
	})
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sandbox.New(state, nil, log.With("service", "payments-sandbox"))))
	if cfg.SeedDemo {
		n, err := demo.SeedPlans(ctx, svc, systemAdmin)
		if err != nil {
			return app{}, fmt.Errorf("seed demo plans: %w", err)
		}
		log.Info("demo plans ready", "created", n)
	}
	rpc := http.NewServeMux()
	rpc.Handle("/", subscription.NewHandler(svc))
	platform.DeadLetterRoutes(rpc, dead)
	mux.Handle("/"+platform.RoutePrefix, rpc)
	// The cron binding runs the sweep: only the outbox relay runs here.
	return app{relays: []interface{ Run(context.Context) error }{runner(svc.RunOutbox)}}, nil
}

func splitPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || port == 0 {
		return "", 0, fmt.Errorf("--addr %q needs an explicit port in Dapr mode (the sidecar's --app-port)", addr)
	}
	return host, port, nil
}
