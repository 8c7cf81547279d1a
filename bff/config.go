package bff

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/netip"
	"time"

	"github.com/dflix/dflix/bff/media"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// Defaults for the zero fields of Config.
const (
	DefaultComplexityLimit = 1000
	DefaultDepthLimit      = 12
	DefaultMaxBodyBytes    = 1 << 20
	DefaultPlaybackTTL     = 4 * time.Hour
	DefaultDownloadTTL     = 15 * time.Minute
	// parserTokenLimit bounds the size of a GraphQL document
	// (TOKEN_LIMIT_EXCEEDED): a 1 MiB body could otherwise hold some
	// 200,000 tokens for the parser and validator to walk.
	parserTokenLimit = 15000
)

// Defaults of the alias limits.
const (
	// DefaultAliasLimit allows far more aliases than any screen of the web
	// app uses (none today), yet stops one request from fanning out into
	// thousands of resolver calls.
	DefaultAliasLimit = 100
	// DefaultCostlyFieldLimit lets a client batch a few sign-ins (a test
	// tool, an admin script) but caps the argon2id work one request can
	// ask for at a few hashes.
	DefaultCostlyFieldLimit = 5
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
	// AliasLimit rejects operations with more aliased fields, fragments
	// counted each time they are spread (ALIAS_LIMIT_EXCEEDED).
	AliasLimit int
	// CostlyFieldLimit rejects mutations that run login, register,
	// refreshToken, changePassword or subscribe under more aliases
	// (ALIAS_LIMIT_EXCEEDED): each run hashes a password or charges a card,
	// at a cost of 2 that complexity barely sees.
	CostlyFieldLimit int
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
	// UploadMaxBytes bounds one uploaded media file (default
	// upload.DefaultMaxSize).
	UploadMaxBytes int64
	// PlaybackTTL is how long a signed playback URL (and so every playlist
	// and segment under it) stays valid: long enough to watch a film
	// (default 4 hours).
	PlaybackTTL time.Duration
	// DownloadTTL is how long a signed download URL stays valid (default
	// 15 minutes): the transfer must start, or resume, within it.
	DownloadTTL time.Duration
	// PublicURL, when set (e.g. "https://api.example.com"), prefixes the
	// upload URLs; otherwise they are root-relative.
	PublicURL string
	// TrustedProxies are the reverse proxies (load balancers) in front of
	// the BFF whose X-Forwarded-For names the client; from any other peer
	// the header is ignored. The client's address goes to auth with each
	// sign-in and registration, which limits failures per address. Empty,
	// the default, trusts no proxy: the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// WebAssets, when set, is the built web app (index.html at its top,
	// hashed files under assets/), served at "/" with the app's security
	// headers (see webApp). Nil serves only the API.
	WebAssets fs.FS
}

func (c Config) withDefaults() Config {
	if c.ComplexityLimit <= 0 {
		c.ComplexityLimit = DefaultComplexityLimit
	}
	if c.DepthLimit <= 0 {
		c.DepthLimit = DefaultDepthLimit
	}
	if c.AliasLimit <= 0 {
		c.AliasLimit = DefaultAliasLimit
	}
	if c.CostlyFieldLimit <= 0 {
		c.CostlyFieldLimit = DefaultCostlyFieldLimit
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.PlaybackTTL <= 0 {
		c.PlaybackTTL = DefaultPlaybackTTL
	}
	if c.DownloadTTL <= 0 {
		c.DownloadTTL = DefaultDownloadTTL
	}
	return c
}

// Deps are the services and tools the server uses. Auth and Catalog are
// the service APIs, in process or clients over an invoker.
type Deps struct {
	Auth    auth.API
	Catalog catalog.API
	// Subscription sells plans and says who may play what. Nil serves no
	// plans (their fields are UNAVAILABLE) and lets any signed-in viewer
	// play every rendition.
	Subscription subscription.API
	// DeadLetters is where the deadLetters query and the redriveDeadLetter
	// mutation go: the embedded bus in one process, a Dapr-backed store (or
	// several federated) otherwise. Nil makes both UNAVAILABLE.
	DeadLetters platform.DeadLetters
	// Blobs, State, Publisher and MediaKeys serve media: tus uploads into
	// Blobs (records in State, upload-completed events through Publisher)
	// and the signed playback and download routes, whose URLs MediaKeys
	// (media.LoadKeyRing over State, shared by every replica; Server.Run
	// reloads it) signs. Nil Blobs serves no media: createUpload, playback
	// and download are then UNAVAILABLE.
	Blobs     platform.Blob
	State     platform.State
	Publisher platform.Publisher
	MediaKeys *media.KeyRing
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Clock defaults to platform.SystemClock.
	Clock platform.Clock
	// Metrics, when set, counts, times and traces the GraphQL operations.
	Metrics *Metrics
}

func (d Deps) withDefaults() (Deps, error) {
	if d.Auth == nil || d.Catalog == nil {
		return d, errors.New("bff: Deps.Auth and Deps.Catalog are required")
	}
	if d.Blobs != nil && (d.State == nil || d.Publisher == nil || d.MediaKeys == nil) {
		return d, errors.New("bff: media needs Deps.State, Deps.Publisher and Deps.MediaKeys beside Deps.Blobs")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = platform.SystemClock
	}
	return d, nil
}
