package bff

import (
	"context"

	"golang.org/x/sync/errgroup"
	"net/http"
	"time"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/bff/cache"
	"github.com/dflix/dflix/bff/graphiql"
	"github.com/dflix/dflix/bff/progress"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// The names of the BFF's subscriptions.
const (
	// SubscriptionRevocations names the BFF's consumer of auth.Topic.
	SubscriptionRevocations = "bff-revocations"
	// SubscriptionCatalogCache names the catalog cache's consumer of
	// catalog.Topic (only with Config.CacheTTL).
	SubscriptionCatalogCache = cache.SubscriptionName
	// SubscriptionMedia names the consumer of catalog.Topic that feeds the
	// encodingProgress subscriptions with the media states catalog records
	// (only with Deps.Blobs).
	SubscriptionMedia = "bff-media"
)

// Server is the BFF's HTTP handler. It is safe for concurrent use.
type Server struct {
	cfg         Config
	deps        Deps
	presenter   presenter
	keys        *authn.Keys
	revocations *authn.Revocations
	verifier    *authn.Verifier
	cache       *cache.Catalog // nil without Config.CacheTTL
	media       *mediaGateway  // nil without Deps.Blobs
	uncached    catalog.API    // Deps.Catalog itself: media reads skip the cache
	hub         *progress.Hub
	graphiql    http.Handler
	handler     http.Handler
}

var _ http.Handler = (*Server)(nil)

// New builds the server. It does not call the services: the auth keys are
// fetched on the first token, readiness probe or JWKS request, and auth's
// recent revocations by Run or on the first token or readiness probe.
//
// Routes: /graphql (POST, GET, websocket; GraphiQL for a browser's GET when
// Config.Introspection is on; CORS for Config.AllowedOrigins),
// /graphiql/assets/, /healthz, /readyz and /.well-known/jwks.json; with
// Deps.Blobs also /uploads/ (tus 1.0) and /media/ (signed playlists,
// segments, images and downloads); with Config.WebAssets the web app at "/".
func New(cfg Config, deps Deps) (*Server, error) {
	deps, err := deps.withDefaults()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, deps: deps, presenter: presenter{log: deps.Logger}}
	s.uncached = deps.Catalog
	if cfg.CacheTTL > 0 {
		s.cache = cache.NewCatalog(deps.Catalog, cfg.CacheTTL, deps.Clock)
		s.deps.Catalog = s.cache
	}
	s.keys = authn.NewKeys(deps.Auth, deps.Clock, cfg.JWKSRefreshInterval, 0)
	// Media links carry the issue time of the access token that obtained
	// them and outlive it, so a revocation is kept as long as they live.
	retain := max(revocationRetention, cfg.PlaybackTTL+time.Hour, cfg.DownloadTTL+time.Hour)
	s.revocations = authn.NewRevocations(deps.Clock, retain, deps.Auth)
	s.verifier = authn.NewVerifier(s.keys, s.revocations, deps.Clock, cfg.TokenSkew)
	s.graphiql = graphiql.Page("/graphql", graphiqlAssets)
	s.hub = progress.NewHub()

	mux := http.NewServeMux()
	if deps.Blobs != nil {
		if err := s.routeMedia(mux); err != nil {
			return nil, err
		}
	}
	mux.Handle("/graphql", s.cors(graphqlCORS, s.graphqlHandler(s.newGraphQL())))
	mux.Handle("GET "+graphiqlAssets, http.StripPrefix(graphiqlAssets, graphiql.Assets()))
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	if cfg.WebAssets != nil {
		mux.Handle("/", newWebApp(cfg.WebAssets))
	}
	s.handler = mux
	return s, nil
}

const graphiqlAssets = "/graphiql/assets/"

// ServeHTTP serves the routes listed on New.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Run relays the uploads' events, sweeps expired uploads and reloads the
// media signing keys every 10 s (with Deps.Blobs), and loads the
// revocations that auth still lists (published before this replica
// subscribed to them) in the background, retrying with backoff
// until it succeeds, since auth may start after the BFF. Until then
// /readyz reports not ready and tokens are refused as unavailable (each
// also tries the load). Start it once, beside the server: it returns nil
// once loaded or when ctx is canceled.
func (s *Server) Run(ctx context.Context) error {
	if s.media == nil {
		return s.revocations.Run(ctx)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.revocations.Run(ctx) })
	g.Go(func() error { return s.media.uploads.Run(ctx) })
	g.Go(func() error { return s.deps.MediaKeys.Run(ctx) })
	return g.Wait()
}

// Subscriptions returns the event subscriptions the server needs, all
// broadcast so that every replica gets every event: the users topic, to
// apply revocations; with Config.CacheTTL the catalog topic, to drop cached
// catalog reads that changed; with Deps.Blobs the catalog topic again,
// for encodingProgress.
func (s *Server) Subscriptions() []platform.Subscription {
	subs := []platform.Subscription{{
		Topic:     auth.Topic,
		Name:      SubscriptionRevocations,
		Broadcast: true,
		Handle:    s.revocations.Handle,
	}}
	if s.cache != nil {
		subs = append(subs, s.cache.Subscription())
	}
	if s.media != nil {
		subs = append(subs, platform.Subscription{Topic: catalog.Topic, Name: SubscriptionMedia, Broadcast: true, Handle: s.hub.Handle})
	}
	return subs
}

const (
	// jwksMaxAge is how long clients may cache the JWKS passthrough.
	jwksMaxAge = 5 * time.Minute
	// revocationRetention is how long a user's NotBefore is remembered, at
	// least: far longer than any access token lives (auth.AccessTokenTTL by
	// default), so a revoked token always expires first; longer still when
	// media links live longer (Config.PlaybackTTL).
	revocationRetention = 24 * time.Hour
)
