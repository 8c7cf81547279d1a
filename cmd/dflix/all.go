package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/demo"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/telemetry"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/gateway"
	"github.com/dflix/dflix/services/subscription/sandbox"
	"github.com/dflix/dflix/web"
)

// runAll runs bff, auth, catalog, encoder and subscription in this process on embedded adapters.
// The BFF holds the services themselves: no serialization, no hop.
func runAll(ctx context.Context, cfg config, log *slog.Logger, tel *telemetry.Telemetry, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := openEmbedded(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close stores", "err", err)
		}
	}()
	obs := observe(tel, log, st.bus, st.bus, nil)
	if err := tel.DeadLetters(st.bus); err != nil {
		return err
	}
	authSvc, err := newAuth(cfg, st.auth, obs.pub, log)
	if err != nil {
		return err
	}
	indexDir := filepath.Join(cfg.DataDir, "index")
	if err := os.MkdirAll(indexDir, 0o750); err != nil {
		return fmt.Errorf("index dir: %w", err)
	}
	catSvc, err := catalog.New(ctx, catalog.Config{IndexDir: indexDir},
		st.catalog, obs.pub, nil, log.With("service", "catalog"))
	if err != nil {
		return fmt.Errorf("start catalog: %w", err)
	}
	defer catSvc.Close()
	encMetrics := newEncoderMetrics()
	if err := tel.Register(encMetrics); err != nil {
		return err
	}
	encSvc, err := newEncoder(ctx, cfg, st.encoder, st.blobs, obs.pub, "all-in-one", encMetrics, log)
	if err != nil {
		return err
	}
	// The built-in sandbox stands in for the payment gateway, called in
	// process as Dapr would call it over bindings.http.
	payments := gateway.New(embedded.NewHTTPBinding(sandbox.New(st.sandbox, nil, log.With("service", "payments-sandbox")), ""))
	subSvc, err := newSubscription(ctx, cfg, st.billing, obs.pub, payments, log)
	if err != nil {
		return err
	}
	keys, err := media.LoadKeyRing(ctx, st.bff, media.KeyRingConfig{Logger: log.With("service", "bff")})
	if err != nil {
		return fmt.Errorf("media signing key: %w", err)
	}
	gqlMetrics, streams, err := bffTelemetry(tel)
	if err != nil {
		return err
	}
	srv, err := bff.New(bffConfig(cfg), bff.Deps{Auth: authSvc, Catalog: catSvc, Subscription: subSvc, DeadLetters: st.bus,
		Blobs: st.blobs, State: st.bff, Publisher: obs.pub, MediaKeys: keys, Logger: log.With("service", "bff"), Metrics: gqlMetrics})
	if err != nil {
		return fmt.Errorf("start bff: %w", err)
	}
	if err := subscribeAll(ctx, obs.sub, catSvc.Subscriptions(), encSvc.Subscriptions(), srv.Subscriptions()); err != nil {
		return err
	}
	if err := st.bus.Start(ctx); err != nil {
		return fmt.Errorf("start bus: %w", err)
	}
	if err := bootstrap(ctx, cfg, log, authSvc, catSvc, subSvc); err != nil {
		return err
	}
	var relays sync.WaitGroup
	relayCtx, stopRelays := context.WithCancel(ctx)
	defer func() { stopRelays(); relays.Wait() }()
	for name, r := range map[string]interface{ Run(context.Context) error }{"auth": authSvc, "catalog": catSvc, "encoder": encSvc, "subscription": subSvc, "bff": srv} {
		relays.Go(func() {
			if err := r.Run(relayCtx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("background loop stopped", "service", name, "err", err)
			}
		})
	}
	relays.Go(func() {
		if err := serveMetrics(relayCtx, cfg, tel, log); err != nil {
			log.Error("metrics listener stopped", "addr", cfg.MetricsAddr, "err", err)
		}
	})
	mux := http.NewServeMux()
	mux.Handle("/", streams.Middleware(srv))
	return serve(ctx, cfg, log, instrument(tel, log, mux, cfg.MetricsAddr), func(addr string) {
		log.Info("listening", "addr", addr, "target", cfg.Target, "data_dir", cfg.DataDir)
		fmt.Fprintf(stdout, "dflix ready at %s\n", publicURL(addr))
		if cfg.Introspection {
			fmt.Fprintf(stdout, "  GraphQL and GraphiQL: %s/graphql\n", publicURL(addr))
		} else {
			fmt.Fprintf(stdout, "  GraphQL: %s/graphql\n", publicURL(addr))
		}
		if cfg.SeedDemo && cfg.DemoMedia {
			relays.Go(func() { seedDemoMedia(relayCtx, cfg, log, publicURL(addr)) })
		}
	})
}

// seedDemoMedia uploads the demo clips through the public API, as an admin
// at a browser would: GraphQL createUpload, then tus. It runs beside the
// server, so the platform is usable while the clips encode.
func seedDemoMedia(ctx context.Context, cfg config, log *slog.Logger, baseURL string) {
	c := &demo.Client{BaseURL: baseURL}
	err := c.Login(ctx, cfg.AdminEmail, cfg.AdminPassword)
	var n int
	if err == nil {
		n, err = demo.UploadMedia(ctx, demo.MediaConfig{Client: c, FFmpeg: cfg.FFmpeg, Dir: filepath.Join(cfg.DataDir, "demo-media"), Log: log})
	}
	if err != nil {
		if ctx.Err() == nil {
			log.Error("demo media", "err", err)
		}
		return
	}
	log.Info("demo media ready", "uploaded", n)
}

func bffConfig(cfg config) bff.Config {
	return bff.Config{
		ComplexityLimit: cfg.ComplexityMax,
		DepthLimit:      cfg.DepthMax,
		Introspection:   cfg.Introspection,
		UploadMaxBytes:  cfg.UploadMaxBytes,
		TrustedProxies:  cfg.TrustedProxies,
		WebAssets:       web.Assets(),
	}
}

// subscribeAll registers every subscription before delivery starts.
func subscribeAll(ctx context.Context, sub platform.Subscriber, groups ...[]platform.Subscription) error {
	for _, subs := range groups {
		for _, s := range subs {
			if err := sub.Subscribe(ctx, s); err != nil {
				return fmt.Errorf("subscribe %s/%s: %w", s.Topic, s.Name, err)
			}
		}
	}
	return nil
}

// bootstrap creates the configured admin and, when asked, the demo catalog.
// Both are idempotent, so they run at every start.
func bootstrap(ctx context.Context, cfg config, log *slog.Logger, authSvc auth.API, cat catalog.API, billing subscription.API) error {
	if cfg.AdminEmail == "" {
		if cfg.SeedDemo {
			return errors.New("--seed-demo needs DFLIX_ADMIN_EMAIL and DFLIX_ADMIN_PASSWORD (the demo is created as that admin)")
		}
		return nil
	}
	resp, err := authSvc.EnsureAdmin(ctx, auth.EnsureAdminRequest{Email: cfg.AdminEmail, Password: cfg.AdminPassword, DisplayName: "Administrator"})
	if err != nil {
		return fmt.Errorf("bootstrap admin %s: %w", cfg.AdminEmail, err)
	}
	log.Info("admin ready", "email", resp.User.Email, "created", resp.Created)
	if !cfg.SeedDemo {
		return nil
	}
	stats, err := demo.Seed(ctx, cat, platform.Caller{UserID: resp.User.ID, Role: platform.RoleAdmin})
	if err != nil {
		return fmt.Errorf("seed demo catalog: %w", err)
	}
	log.Info("demo catalog ready", "categories", stats.Categories, "genres", stats.Genres, "cast", stats.CastMembers, "videos", stats.Videos)
	plans, err := demo.SeedPlans(ctx, billing, platform.Caller{UserID: resp.User.ID, Role: platform.RoleAdmin})
	if err != nil {
		return fmt.Errorf("seed demo plans: %w", err)
	}
	log.Info("demo plans ready", "created", plans)
	return nil
}
