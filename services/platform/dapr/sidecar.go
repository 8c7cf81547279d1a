package dapr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	daprc "github.com/dapr/go-sdk/client"
	"github.com/dflix/dflix/services/platform"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// connectTimeout bounds Connect's wait for the sidecar when ctx has no
// deadline of its own.
const connectTimeout = 60 * time.Second

// healthPoll is how often Connect asks the sidecar whether it is up.
const healthPoll = 100 * time.Millisecond

// apiTokenHeader carries Config.APIToken on HTTP and gRPC calls.
const apiTokenHeader = "dapr-api-token"

// Sidecar is a connection to one Dapr sidecar; the adapters it hands out
// share it. It is safe for concurrent use.
type Sidecar struct {
	cfg    Config
	log    *slog.Logger
	conn   *grpc.ClientConn
	client daprc.Client
	http   *http.Client

	subOnce sync.Once
	sub     *Subscriber

	// txLocks serialize this process's transactions on a store whose
	// transactions do not roll back (State.Transact), by store name.
	txLocks sync.Map // string -> *sync.Mutex
}

// Connect waits until the sidecar at cfg answers its outbound health check
// (GET /v1.0/healthz/outbound: its components are up, even before this app
// serves) and opens a gRPC client to it. The wait is bounded by ctx, or by a
// minute when ctx has no deadline.
//
// Errors: KindInvalid for a bad Config; KindUnavailable when the sidecar does
// not become healthy in time.
func Connect(ctx context.Context, cfg Config) (*Sidecar, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Sidecar{cfg: cfg, log: cfg.Logger, http: newHTTPClient()}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	if err := s.waitHealthy(ctx); err != nil {
		return nil, fmt.Errorf("dapr: connect %s: %w", cfg.httpBase(), err)
	}
	// A message carries one blob chunk base64-encoded, or a whole blob
	// stored before blobs were chunked (at most 32 MiB by default then).
	maxMsg := max(2*cfg.BlobChunkBytes+1<<20, legacyBlobMessage)
	conn, err := grpc.NewClient(cfg.grpcTarget(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)),
		grpc.WithUnaryInterceptor(tokenInterceptor(cfg.APIToken)),
	)
	if err != nil {
		return nil, platform.E(platform.KindUnavailable, "dapr sidecar unreachable", fmt.Errorf("dapr: connect %s: %w", cfg.grpcTarget(), err))
	}
	s.conn = conn
	s.client = daprc.NewClientWithConnection(conn)
	return s, nil
}

// newHTTPClient returns the client for the sidecar's HTTP API: keep-alive
// connections to one host, bounded connect and header waits; the overall
// time of a call is the caller's ctx.
func newHTTPClient() *http.Client {
	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
	}
	return &http.Client{Transport: transport}
}

// tokenInterceptor adds the API token to every unary gRPC call.
func tokenInterceptor(token string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if token != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, apiTokenHeader, token)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// waitHealthy polls the outbound health endpoint until it answers 2xx.
func (s *Sidecar) waitHealthy(ctx context.Context) error {
	ticker := time.NewTicker(healthPoll)
	defer ticker.Stop()
	for {
		err := s.checkHealth(ctx, "/v1.0/healthz/outbound")
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return platform.E(platform.KindUnavailable, "dapr sidecar not ready", fmt.Errorf("%w (last: %v)", ctx.Err(), err))
		case <-ticker.C:
		}
	}
}

// checkHealth GETs a health endpoint of the sidecar.
func (s *Sidecar) checkHealth(ctx context.Context, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.httpBase()+path, nil)
	if err != nil {
		return fmt.Errorf("health request: %w", err)
	}
	s.authorize(req)
	resp, err := s.http.Do(req)
	if err != nil {
		return platform.E(platform.KindUnavailable, "dapr sidecar unreachable", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return platform.E(platform.KindUnavailable, "dapr sidecar not ready", fmt.Errorf("GET %s: status %d", path, resp.StatusCode))
	}
	return nil
}

// authorize adds the API token to a request for the sidecar.
func (s *Sidecar) authorize(req *http.Request) {
	if s.cfg.APIToken != "" {
		req.Header.Set(apiTokenHeader, s.cfg.APIToken)
	}
}

// Ready reports whether the sidecar can serve this app's outbound calls
// (state, publish, invoke, bindings), for the app's /readyz.
//
// Errors: KindUnavailable when it cannot.
func (s *Sidecar) Ready(ctx context.Context) error {
	if err := s.checkHealth(ctx, "/v1.0/healthz/outbound"); err != nil {
		return fmt.Errorf("dapr: ready: %w", err)
	}
	return nil
}

// Config returns the configuration in use, defaults filled in.
func (s *Sidecar) Config() Config { return s.cfg }

// Close closes the gRPC connection and idle HTTP connections; the adapters
// handed out fail with KindUnavailable afterwards.
func (s *Sidecar) Close() error {
	s.http.CloseIdleConnections()
	if err := s.conn.Close(); err != nil && !errors.Is(err, grpc.ErrClientConnClosing) {
		return fmt.Errorf("dapr: close: %w", err)
	}
	return nil
}
