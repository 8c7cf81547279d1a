package bff

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/dflix/dflix/bff/authn"
	"github.com/dflix/dflix/bff/loader"
	"github.com/dflix/dflix/graph"
	"github.com/dflix/dflix/services/platform"
)

const (
	queryCacheSize = 1000
	apqCacheSize   = 100
	wsKeepAlive    = 15 * time.Second
	wsInitTimeout  = 10 * time.Second
	wsPayloadLimit = 64 << 10
	// wsCloseForbidden is graphql-transport-ws's close code for a refused
	// connection_init.
	wsCloseForbidden = 4403
)

// newGraphQL builds the gqlgen handler: schema, transports, limits, error
// presenter and the per-operation middleware (revocation re-check, loaders).
func (s *Server) newGraphQL() *handler.Server {
	es := graph.NewExecutableSchema(graph.Config{
		Resolvers:  graph.NewResolver(s.resolverDeps()),
		Directives: directives(),
		Complexity: graph.Complexity(),
	})
	srv := handler.New(es)
	srv.AddTransport(s.websocket())
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	queries := lru.New[*ast.QueryDocument](queryCacheSize)
	srv.SetQueryCache(queries)
	srv.SetParserTokenLimit(parserTokenLimit)
	srv.SetErrorPresenter(s.presenter.present)
	srv.SetRecoverFunc(s.presenter.recoverPanic)
	if s.deps.Metrics != nil { // first, so its timing and span cover the other extensions
		srv.Use(s.deps.Metrics)
	}
	if s.cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(introspectionOff{})
		srv.SetDisableSuggestion(true)
		srv.SetValidationRulesFn(quietRules)
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](apqCacheSize)})
	// After the persisted queries, which fill in the query it checks.
	srv.Use(aliasLimit{maxAliases: s.cfg.AliasLimit, maxCostly: s.cfg.CostlyFieldLimit, accepted: queries})
	srv.Use(depthLimit{max: s.cfg.DepthLimit})
	srv.Use(extension.FixedComplexityLimit(s.cfg.ComplexityLimit))
	srv.AroundOperations(s.aroundOperation)
	return srv
}

// resolverDeps are the services the resolvers call; a nil one stays a nil
// interface, so its fields answer UNAVAILABLE.
func (s *Server) resolverDeps() graph.Deps {
	deps := graph.Deps{Accounts: s.deps.Auth, Catalog: s.deps.Catalog, DeadLetters: s.deps.DeadLetters}
	if s.media != nil {
		deps.Media = s.media
	}
	if s.deps.Subscription != nil {
		deps.Billing = s.deps.Subscription
	}
	return deps
}

// aroundOperation bounds a websocket's running operations, re-checks the
// caller's token (a websocket may outlive it or see it revoked) and gives
// the operation its own dataloaders.
func (s *Server) aroundOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if err := admitWSOperation(ctx); err != nil {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{err}})
	}
	if id, ok := authn.IdentityFrom(ctx); ok {
		if err := s.verifier.Check(id); err != nil {
			return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{s.presenter.present(ctx, err)}})
		}
	}
	ctx = loader.With(ctx, loader.New(s.deps.Catalog, authn.CallerFrom(ctx)))
	return next(ctx)
}

// websocket is the graphql-transport-ws (and legacy graphql-ws) transport.
// The access token comes from the connection_init payload (Authorization,
// authorization or token; "Bearer " optional); a bad one refuses the
// connection.
func (s *Server) websocket() transport.Websocket {
	limit := int64(wsPayloadLimit)
	return transport.Websocket{
		// The origin is checked by graphqlHandler before the upgrade.
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}},
		InitFunc:              s.websocketInit,
		InitTimeout:           wsInitTimeout,
		KeepAlivePingInterval: wsKeepAlive,
		PayloadReadLimit:      &limit,
	}
}

func (s *Server) websocketInit(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	ctx = withWSOperations(ctx)
	raw := payload.Authorization()
	if raw == "" {
		raw = payload.GetString("token")
	}
	if raw == "" {
		return ctx, &payload, nil
	}
	token := raw
	if scheme, rest, ok := strings.Cut(raw, " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	}
	id, err := s.verifier.Verify(ctx, token)
	if err != nil {
		// graphql-transport-ws rejects a connection with 4403 Forbidden; the
		// client sees only the public message.
		ctx = transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, "Forbidden"), wsCloseForbidden)
		return ctx, nil, errors.New(platform.PublicMessage(err))
	}
	return authn.WithIdentity(ctx, id), &payload, nil
}

// graphqlHandler serves /graphql: GraphiQL for a browser's GET, otherwise
// the GraphQL transports behind authentication and a body limit.
func (s *Server) graphqlHandler(gql http.Handler) http.Handler {
	authed := authn.ClientIP(s.cfg.TrustedProxies)(authn.Middleware(s.verifier, s.presenter.writeError)(gql))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Introspection && r.Method == http.MethodGet && wantsHTML(r) && r.Header.Get("Upgrade") == "" {
			s.graphiql.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("Upgrade") != "" && !originAllowed(r, s.cfg.AllowedOrigins) {
			writeResponse(w, http.StatusForbidden, &gqlerror.Error{
				Message:    "origin not allowed",
				Extensions: map[string]any{"code": CodeForbidden},
			})
			return
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			writeResponse(w, http.StatusRequestEntityTooLarge, &gqlerror.Error{
				Message:    "request body too large",
				Extensions: map[string]any{"code": CodeBadRequest},
			})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		if refuseBatch(w, r) {
			return
		}
		authed.ServeHTTP(w, r)
	})
}

func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
