package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/dflix/dflix/services/auth"
)

// runAdmin handles `dflix admin create`: it creates (or promotes and resets)
// an admin account directly in the auth store. The server must be stopped,
// since the embedded store is a file one process holds at a time.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: dflix admin create --email E --password P [--name N] [--data-dir D]")
	}
	fs := flag.NewFlagSet("dflix admin create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the admin's email")
	password := fs.String("password", os.Getenv("DFLIX_ADMIN_PASSWORD"), "the admin's password (or DFLIX_ADMIN_PASSWORD)")
	name := fs.String("name", "Administrator", "the admin's display name")
	dataDir := fs.String("data-dir", env("DFLIX_DATA_DIR", "./data"), "the data directory of the stopped server")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || *password == "" {
		return errors.New("admin create: --email and --password are required")
	}
	cfg := config{DataDir: *dataDir, ArgonMemoryKiB: 19 * 1024}
	st, err := openEmbedded(cfg)
	if err != nil {
		return fmt.Errorf("admin create: %w (is dflix still running on %s?)", err, *dataDir)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	svc, err := newAuth(cfg, st.auth, st.bus, log)
	if err != nil {
		return err
	}
	resp, err := svc.EnsureAdmin(ctx, auth.EnsureAdminRequest{Email: *email, Password: *password, DisplayName: *name})
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	verb := "updated"
	if resp.Created {
		verb = "created"
	}
	fmt.Fprintf(stdout, "admin %s: %s (%s)\n", verb, resp.User.Email, resp.User.ID)
	return nil
}
