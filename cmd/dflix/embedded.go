package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/subscription"
)

// stores are the embedded adapters of one process: a state file per service
// (as each service owns its store in Dapr mode too) and one durable bus.
type stores struct {
	auth    *embedded.State
	catalog *embedded.State
	bff     *embedded.State
	encoder *embedded.State
	billing *embedded.State
	sandbox *embedded.State // the built-in payment gateway's own records
	bus     *embedded.Bus
	blobs   *embedded.Blobs
}

func openEmbedded(cfg config) (*stores, error) {
	var s stores
	var err error
	if s.auth, err = embedded.OpenState(filepath.Join(cfg.DataDir, "auth.db")); err != nil {
		return nil, err
	}
	if s.catalog, err = embedded.OpenState(filepath.Join(cfg.DataDir, "catalog.db")); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.bff, err = embedded.OpenState(filepath.Join(cfg.DataDir, "bff.db")); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.encoder, err = embedded.OpenState(filepath.Join(cfg.DataDir, "encoder.db")); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.billing, err = embedded.OpenState(filepath.Join(cfg.DataDir, "subscription.db")); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.sandbox, err = embedded.OpenState(filepath.Join(cfg.DataDir, "payments-sandbox.db")); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.blobs, err = embedded.OpenBlobs(filepath.Join(cfg.DataDir, "blobs")); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.bus, err = embedded.OpenBus(filepath.Join(cfg.DataDir, "events.db"), embedded.BusOptions{}); err != nil {
		_ = s.Close()
		return nil, err
	}
	return &s, nil
}

// Close stops the bus first so no handler writes to a closed state.
func (s *stores) Close() error {
	var errs []error
	if s.bus != nil {
		errs = append(errs, s.bus.Close())
	}
	for _, st := range []*embedded.State{s.catalog, s.bff, s.encoder, s.billing, s.sandbox} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.auth != nil {
		errs = append(errs, s.auth.Close())
	}
	return errors.Join(errs...)
}

// newEncoder builds the encoder on st. In one process the instance id is
// fixed: a job this process ran when it died is taken up again at once.
func newEncoder(ctx context.Context, cfg config, st platform.State, blobs platform.Blob, pub platform.Publisher, instance string, obs encoder.Observer, log *slog.Logger) (*encoder.Service, error) {
	svc, err := encoder.New(ctx, encoder.Config{
		FFmpeg: cfg.FFmpeg, FFprobe: cfg.FFprobe, WorkDir: filepath.Join(cfg.DataDir, "encoder-work"),
		Concurrency: cfg.EncoderConcurrency, Preset: cfg.EncoderPreset, InstanceID: instance, Observer: obs,
	}, st, blobs, pub, nil, log.With("service", "encoder"))
	if err != nil {
		return nil, fmt.Errorf("start encoder: %w", err)
	}
	return svc, nil
}

// newSubscription builds the subscription service on st, charging through
// payments.
func newSubscription(ctx context.Context, cfg config, st platform.State, pub platform.Publisher, payments subscription.Payments, log *slog.Logger) (*subscription.Service, error) {
	svc, err := subscription.New(ctx, subscription.Config{DayLength: cfg.BillingDay, SweepInterval: cfg.RenewalInterval},
		st, pub, payments, nil, log.With("service", "subscription"))
	if err != nil {
		return nil, fmt.Errorf("start subscription: %w", err)
	}
	return svc, nil
}

func newAuth(cfg config, st platform.State, pub platform.Publisher, log *slog.Logger) (*auth.Service, error) {
	svc, err := auth.New(authConfig(cfg), st, pub, nil, log.With("service", "auth"))
	if err != nil {
		return nil, fmt.Errorf("start auth: %w", err)
	}
	return svc, nil
}

// runner adapts a function to the Run method the background loops have.
type runner func(ctx context.Context) error

func (r runner) Run(ctx context.Context) error { return r(ctx) }
