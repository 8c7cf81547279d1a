package bff

import (
	"errors"
	"log/slog"
	"time"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Defaults for the zero fields of Config.
const (
	DefaultComplexityLimit = 1000
	DefaultDepthLimit      = 12
	DefaultMaxBodyBytes    = 1 << 20
	// parserTokenLimit bounds the size of a GraphQL document.
	parserTokenLimit = 15000
)

// Config tunes the server. Zero values take the defaults above, except
// Introspection, which is off unless set (main turns it on in development).
type Config struct {
	// ComplexityLimit rejects operations whose cost is higher
	// (COMPLEXITY_LIMIT_EXCEEDED); connections cost `first` times their
	// selection.
	ComplexityLimit int
	// DepthLimit rejects operations nested deeper (DEPTH_LIMIT_EXCEEDED).
	DepthLimit int
	// Introspection allows __schema and __type queries and serves GraphiQL.
	// When false, validation errors also stop suggesting field names.
	Introspection bool
	// AllowedOrigins lists the browser origins (host patterns such as
	// "app.example.com" or "http://localhost:*") allowed besides the
	// server's own host, to open the websocket (CheckOrigin) and to call
	// /graphql across origins (CORS); "*" allows any.
	AllowedOrigins []string
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// JWKSRefreshInterval is the least time between two fetches of the auth
	// keys when tokens name unknown kids (default authn.DefaultMinRefresh).
	JWKSRefreshInterval time.Duration
	// TokenSkew is the clock skew tolerated on token times (default
	// authn.DefaultSkew).
	TokenSkew time.Duration
	// CacheTTL, when positive, puts a bff/cache in front of Deps.Catalog:
	// hot reads (a published video by id, the taxonomy lists, taxonomy by
	// id) are kept for at most this long and dropped sooner when catalog's
	// events say they changed (Server.Subscriptions then includes the
	// cache's). Zero, the default, caches nothing: in one process the
	// catalog's projection is already in memory, so the cache only pays off
	// across a Dapr hop.
	CacheTTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.ComplexityLimit <= 0 {
		c.ComplexityLimit = DefaultComplexityLimit
	}
	if c.DepthLimit <= 0 {
		c.DepthLimit = DefaultDepthLimit
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return c
}

// Deps are the services and tools the server uses. Auth and Catalog are
// the service APIs, in process or clients over an invoker.
type Deps struct {
	Auth    auth.API
	Catalog catalog.API
	// DeadLetters is where the deadLetters query and the redriveDeadLetter
	// mutation go: the embedded bus in one process, a Dapr-backed store (or
	// several federated) otherwise. Nil makes both UNAVAILABLE.
	DeadLetters platform.DeadLetters
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Clock defaults to platform.SystemClock.
	Clock platform.Clock
}

func (d Deps) withDefaults() (Deps, error) {
	if d.Auth == nil || d.Catalog == nil {
		return d, errors.New("bff: Deps.Auth and Deps.Catalog are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = platform.SystemClock
	}
	return d, nil
}
