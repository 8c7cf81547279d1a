package dapr

import (
	"log/slog"
	"net"
	"regexp"
	"strconv"

	"github.com/dflix/dflix/services/platform"
)

// Defaults for the Config fields left empty.
const (
	DefaultHost            = "127.0.0.1"
	DefaultPubSub          = "pubsub"
	DefaultBroadcastPubSub = "broadcast"
	DefaultDeadLetterTopic = "deadletters"
	DefaultBlobBinding     = "blobs"
	DefaultMaxBlobBytes    = 64 << 30
	DefaultBlobChunkBytes  = 2 << 20
)

// Config says where the sidecar is and which Dapr components the adapters
// use. Only AppID, HTTPPort and GRPCPort are required.
type Config struct {
	// AppID is the Dapr app id of this process (daprd --app-id).
	AppID string
	// AppPort is the port this app serves on (daprd --app-port); it is
	// informational and shows in errors.
	AppPort int
	// HTTPPort is the sidecar's HTTP API port (DAPR_HTTP_PORT).
	HTTPPort int
	// GRPCPort is the sidecar's gRPC API port (DAPR_GRPC_PORT).
	GRPCPort int
	// Host is the sidecar's address, default 127.0.0.1.
	Host string
	// PubSub is the pub/sub component for competing consumers, default
	// "pubsub"; its consumerID must be the app id, so the instances of one
	// app share each event.
	PubSub string
	// BroadcastPubSub is a second pub/sub component on the same broker whose
	// consumerID is "{uuid}", so every instance gets each event; it serves
	// the subscriptions with Broadcast set. Default "broadcast".
	BroadcastPubSub string
	// DeadLetterTopic prefixes the dead-letter topics, default
	// "deadletters": each Dapr subscription sends the events that were
	// dropped or exhausted their retries to DeadLetterTopic + "." + its
	// name ("deadletters.catalog-media"), which its app's DeadLetterStore
	// reads.
	DeadLetterTopic string
	// BlobBinding is the output binding blobs are stored with, default
	// "blobs": bindings.localstorage or bindings.aws.s3, told apart by the
	// type the sidecar reports.
	BlobBinding string
	// MaxBlobBytes bounds the total size of one blob, default 64 GiB; a
	// Put over it fails with KindInvalid.
	MaxBlobBytes int64
	// BlobChunkBytes is the size of the chunks a blob is stored in, one
	// binding message each, default 2 MiB. daprd's --max-body-size must
	// allow 4/3 of it (chunks travel base64-encoded) plus some slack: its
	// default 4Mi suffices for the default chunk.
	BlobChunkBytes int
	// APIToken, when set, is sent as dapr-api-token (daprd's
	// DAPR_API_TOKEN).
	APIToken string
	// Logger receives what cannot be returned: handler panics, failed
	// bookkeeping of dead letters. Default slog.Default().
	Logger *slog.Logger
	// DeclarativeSubscriptions makes GET /dapr/subscribe answer [] because
	// Subscription resources in YAML declare the subscriptions (topic, route
	// /events/<name>, deadLetterTopic); default false, programmatic.
	DeclarativeSubscriptions bool
}

// appIDPattern is what Dapr accepts as an app id, and what we accept as a
// subscription name (it becomes a route segment).
var appIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// withDefaults returns c with the empty optional fields set.
func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Host, DefaultHost)
	def(&c.PubSub, DefaultPubSub)
	def(&c.BroadcastPubSub, DefaultBroadcastPubSub)
	def(&c.DeadLetterTopic, DefaultDeadLetterTopic)
	def(&c.BlobBinding, DefaultBlobBinding)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxBlobBytes <= 0 {
		c.MaxBlobBytes = DefaultMaxBlobBytes
	}
	if c.BlobChunkBytes <= 0 {
		c.BlobChunkBytes = DefaultBlobChunkBytes
	}
	return c
}

// validate reports a missing or malformed required field as KindInvalid.
func (c Config) validate() error {
	switch {
	case !appIDPattern.MatchString(c.AppID):
		return platform.Errorf(platform.KindInvalid, "dapr: config: invalid app id %q", c.AppID)
	case c.HTTPPort <= 0 || c.HTTPPort > 65535:
		return platform.Errorf(platform.KindInvalid, "dapr: config: invalid sidecar HTTP port %d", c.HTTPPort)
	case c.GRPCPort <= 0 || c.GRPCPort > 65535:
		return platform.Errorf(platform.KindInvalid, "dapr: config: invalid sidecar gRPC port %d", c.GRPCPort)
	}
	return nil
}

// httpBase is the sidecar's HTTP API root.
func (c Config) httpBase() string {
	return "http://" + net.JoinHostPort(c.Host, strconv.Itoa(c.HTTPPort))
}

// grpcTarget is the sidecar's gRPC API address.
func (c Config) grpcTarget() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.GRPCPort))
}
