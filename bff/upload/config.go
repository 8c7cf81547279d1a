package upload

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Defaults for the zero fields of Config.
const (
	DefaultBasePath      = "/uploads/"
	DefaultMaxSize       = 10 << 30 // 10 GiB
	DefaultPartSize      = 8 << 20  // 8 MiB
	DefaultExpiry        = 24 * time.Hour
	DefaultSweepInterval = 10 * time.Minute
)

// Config tunes the server. Zero values take the defaults above.
type Config struct {
	// BasePath is the URL path the endpoint is mounted at, with a trailing
	// slash: uploads are created by POST to it and live at BasePath+<id>.
	BasePath string
	// PublicURL, when set (e.g. "https://api.example.com"), is put before
	// BasePath+<id> in the URLs that Create and the tus POST return;
	// otherwise they are root-relative, which tus-js-client resolves
	// against its endpoint.
	PublicURL string
	// MaxSize bounds an upload's length in bytes (advertised as
	// Tus-Max-Size).
	MaxSize int64
	// PartSize is the most bytes of a PATCH body stored as one blob part;
	// a longer body is stored as several parts. A broken connection loses
	// at most the part under way.
	PartSize int64
	// Expiry is how long an upload lives after its creation or its last
	// PATCH; an unfinished upload is then gone (410) and swept. A completed
	// upload's record is kept this long after completion, then swept.
	Expiry time.Duration
	// OutboxInterval is how often Run publishes events left in the outbox
	// (default platform.DefaultOutboxInterval).
	OutboxInterval time.Duration
	// SweepInterval is how often Run deletes expired uploads and finishes
	// completions that a crash interrupted.
	SweepInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.BasePath == "" {
		c.BasePath = DefaultBasePath
	}
	if !strings.HasSuffix(c.BasePath, "/") {
		c.BasePath += "/"
	}
	if !strings.HasPrefix(c.BasePath, "/") {
		c.BasePath = "/" + c.BasePath
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if c.MaxSize <= 0 {
		c.MaxSize = DefaultMaxSize
	}
	if c.PartSize <= 0 {
		c.PartSize = DefaultPartSize
	}
	if c.Expiry <= 0 {
		c.Expiry = DefaultExpiry
	}
	if c.OutboxInterval <= 0 {
		c.OutboxInterval = platform.DefaultOutboxInterval
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = DefaultSweepInterval
	}
	return c
}

// AuthorizeFunc decides whether the request r may create an upload for
// videoID through a tus POST, and returns who makes it. It should return
// KindUnauthenticated or KindForbidden for a caller who may not, and
// KindNotFound for an unknown video.
type AuthorizeFunc func(ctx context.Context, r *http.Request, videoID string) (platform.Caller, error)

// Deps are the ports the server uses. State, Blobs and Publisher are
// required.
type Deps struct {
	// State holds the upload records, the set of uploads and the outbox.
	// Every replica must share it.
	State platform.State
	// Blobs receives the parts and the joined source.
	Blobs platform.Blob
	// Publisher publishes encoder's upload-completed events.
	Publisher platform.Publisher
	// Authorize guards creation by tus POST. Nil refuses every tus POST
	// (uploads are then created by Server.Create only).
	Authorize AuthorizeFunc
	// Clock defaults to platform.SystemClock.
	Clock platform.Clock
	// Logger defaults to discarding.
	Logger *slog.Logger
}

func (d Deps) withDefaults() (Deps, error) {
	if d.State == nil || d.Blobs == nil || d.Publisher == nil {
		return d, errors.New("upload: Deps.State, Deps.Blobs and Deps.Publisher are required")
	}
	if d.Clock == nil {
		d.Clock = platform.SystemClock
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	return d, nil
}
