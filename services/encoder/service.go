package encoder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"time"

	"github.com/dflix/dflix/services/platform"
)

var _ API = (*Service)(nil)

// Source is the CloudEvents source of every event the encoder publishes.
const Source = "encoder"

// conflictRetries bounds how often a read-modify-write of a job is retried
// after a lost optimistic-concurrency race.
const conflictRetries = 16

// openJobShards spreads the set of open jobs; it stays small.
const openJobShards = 4

// Service is the encoder: it turns upload-completed events into queued
// jobs (Subscriptions) and runs them (Run). Jobs live in the state, so any
// number of Services on one state share the work, a redelivered event
// changes nothing, and a job whose runner died is taken over once its
// lease lapses. It is safe for concurrent use.
type Service struct {
	cfg    Config
	state  platform.State
	blobs  platform.Blob
	pub    platform.Publisher
	now    platform.Clock
	log    *slog.Logger
	outbox *platform.Outbox
	open   *platform.KeySet // media ids of the queued and running jobs
	wake   chan struct{}    // a job was queued in this process
}

// New returns an encoder over its own state, the blob store holding the
// sources and receiving the output, and the publisher of its events. A nil
// clock means the system clock and a nil logger discards.
//
// Errors: KindUnavailable when ffmpeg or ffprobe cannot be found or the work
// directory cannot be created; KindInvalid for a missing dependency or a
// ladder without rungs.
func New(ctx context.Context, cfg Config, state platform.State, blobs platform.Blob, pub platform.Publisher, clock platform.Clock, log *slog.Logger) (*Service, error) {
	if state == nil || blobs == nil || pub == nil {
		return nil, platform.Errorf(platform.KindInvalid, "encoder: New needs a state, a blob store and a publisher")
	}
	cfg = cfg.withDefaults()
	if err := checkConfig(cfg); err != nil {
		return nil, err
	}
	if clock == nil {
		clock = platform.SystemClock
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "encoder", "instance", cfg.InstanceID)
	return &Service{
		cfg:    cfg,
		state:  state,
		blobs:  blobs,
		pub:    pub,
		now:    clock,
		log:    log,
		outbox: platform.NewOutbox(state, pub, log),
		open:   platform.NewKeySet(state, "jobs-open", openJobShards),
		wake:   make(chan struct{}, 1),
	}, nil
}

// checkConfig finds the tools and creates the work directory.
func checkConfig(cfg Config) error {
	for _, tool := range []string{cfg.FFmpeg, cfg.FFprobe} {
		if _, err := exec.LookPath(tool); err != nil {
			return platform.E(platform.KindUnavailable, "encoder: "+tool+" not found", fmt.Errorf("encoder: %w", err))
		}
	}
	names := map[string]bool{}
	for _, r := range cfg.Ladder {
		if !rungName.MatchString(r.Name) || names[r.Name] || r.Width <= 0 || r.Height <= 0 || r.VideoBitrate <= 0 {
			return platform.Errorf(platform.KindInvalid, "encoder: invalid ladder rung %+v", r)
		}
		names[r.Name] = true
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return platform.E(platform.KindUnavailable, "encoder: work directory unavailable", fmt.Errorf("encoder: %w", err))
	}
	return nil
}

// rungName is what a rung's name may be: it names a folder and a file.
var rungName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Close releases nothing today; it exists so main can treat every service
// alike. Run must have returned before.
func (s *Service) Close() error { return nil }

// GetJob returns the job of req.MediaID.
//
// Errors: KindUnauthenticated or KindForbidden unless the caller is an
// admin; KindInvalid for a malformed media id; KindNotFound for a media
// without a job; the state's kind when it cannot be read.
func (s *Service) GetJob(ctx context.Context, req GetJobRequest) (GetJobResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return GetJobResponse{}, op("GetJob", err)
	}
	if !validMediaID(req.MediaID) {
		return GetJobResponse{}, op("GetJob", platform.Errorf(platform.KindInvalid, "invalid media id %q", req.MediaID))
	}
	job, _, err := s.loadJob(ctx, req.MediaID)
	if err != nil {
		return GetJobResponse{}, op("GetJob", err)
	}
	return GetJobResponse{Job: job}, nil
}

// clock returns the current time in UTC without a monotonic reading, so it
// survives a JSON round trip unchanged.
func (s *Service) clock() time.Time { return s.now().UTC().Round(0) }

// event builds one event on Topic.
func (s *Service) event(typ string, payload any) (platform.Event, error) {
	return platform.NewEvent(Source, Topic, typ, s.clock(), payload)
}

// op wraps a method's error with the method name; the kind and the public
// message stay those of the cause.
func op(method string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("encoder.%s: %w", method, err)
}

// errLeaseLost ends a run whose job was taken over by another runner.
var errLeaseLost = errors.New("encoder: lease lost to another runner")
