package main

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform/embedded"
)

// stores are the embedded adapters of one process: a state file per service
// (as each service owns its store in Dapr mode too) and one durable bus.
type stores struct {
	auth    *embedded.State
	catalog *embedded.State
	bus     *embedded.Bus
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
	if s.catalog != nil {
		errs = append(errs, s.catalog.Close())
	}
	if s.auth != nil {
		errs = append(errs, s.auth.Close())
	}
	return errors.Join(errs...)
}

func newAuth(cfg config, st *stores, log *slog.Logger) (*auth.Service, error) {
	acfg := auth.Config{Argon2: auth.DefaultArgon2Params}
	acfg.Argon2.MemoryKiB = cfg.ArgonMemoryKiB
	svc, err := auth.New(acfg, st.auth, st.bus, nil, log.With("service", "auth"))
	if err != nil {
		return nil, fmt.Errorf("start auth: %w", err)
	}
	return svc, nil
}
