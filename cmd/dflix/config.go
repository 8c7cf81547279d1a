package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/platform/telemetry"
)

// config is everything dflix reads from its flags and environment. Only this
// file reads the environment (design rule 4).
type config struct {
	Target         string
	Addr           string
	MetricsAddr    string // "" serves /metrics on Addr
	DataDir        string
	LogFormat      string
	LogLevel       slog.Level
	AdminEmail     string
	AdminPassword  string
	SeedDemo       bool
	Introspection  bool
	ComplexityMax  int
	DepthMax       int
	ArgonMemoryKiB uint32
	// LoginLimitAccount and LoginLimitIP are the failed sign-ins allowed per
	// account and per client address within LoginLimitWindow (0 turns a
	// limit off).
	LoginLimitAccount int
	LoginLimitIP      int
	LoginLimitWindow  time.Duration
	// TrustedProxies may name the client in X-Forwarded-For (BFF).
	TrustedProxies []netip.Prefix
	ShutdownGrace  time.Duration
	// Dapr mode (any target but all).
	DaprHTTPPort int
	DaprGRPCPort int
	DaprAPIToken string
	CacheTTL     time.Duration
	// Media.
	UploadMaxBytes     int64
	EncoderConcurrency int
	EncoderPreset      string
	FFmpeg, FFprobe    string
	DemoMedia          bool
	// BillingDay is how long a "day" of trials, retries and periods lasts
	// (24h; tests shorten it).
	BillingDay time.Duration
	// RenewalInterval is how often the one process runs the renewal sweep.
	RenewalInterval time.Duration
	// OTLPEndpoint turns on the export of spans (OTEL_EXPORTER_OTLP_ENDPOINT
	// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the exporter reads the rest).
	OTLPEndpoint string
}

// targets are the deployment shapes; only "all" runs without Dapr today.
var targets = map[string]bool{"all": true, "bff": true, "auth": true, "catalog": true, "subscription": true, "encoder": true}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

func envDuration(name string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(os.Getenv(name))
	if err != nil || d <= 0 {
		return def
	}
	return d
}

func envInt(name string, def int) int {
	v, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		return def
	}
	return v
}

// parseConfig reads flags (which win) over environment variables.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("dflix", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Target, "target", env("DFLIX_TARGET", "all"), "what to run: all|bff|auth|catalog|subscription|encoder")
	fs.StringVar(&c.Addr, "addr", env("DFLIX_ADDR", ":8080"), "HTTP listen address")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("DFLIX_METRICS_ADDR", ""), "serve /metrics on this address only (default: on --addr); keeps the metrics off a public port")
	fs.StringVar(&c.DataDir, "data-dir", env("DFLIX_DATA_DIR", "./data"), "where embedded state, events and media live")
	fs.StringVar(&c.LogFormat, "log-format", env("DFLIX_LOG_FORMAT", "json"), "json|text")
	level := fs.String("log-level", env("DFLIX_LOG_LEVEL", "info"), "debug|info|warn|error")
	fs.BoolVar(&c.SeedDemo, "seed-demo", envBool("DFLIX_SEED_DEMO", false), "load the demo catalog (idempotent)")
	fs.BoolVar(&c.Introspection, "introspection", envBool("DFLIX_INTROSPECTION", false), "allow GraphQL introspection, field suggestions and GraphiQL (development; off by default)")
	fs.IntVar(&c.ComplexityMax, "complexity-limit", envInt("DFLIX_COMPLEXITY_LIMIT", 1000), "maximum GraphQL query complexity")
	fs.IntVar(&c.DepthMax, "depth-limit", envInt("DFLIX_DEPTH_LIMIT", 12), "maximum GraphQL query depth")
	argonMiB := fs.Int("argon2-memory-mib", envInt("DFLIX_ARGON2_MEMORY_MIB", 19), "argon2id memory per password hash")
	fs.IntVar(&c.LoginLimitAccount, "login-limit-account", envInt("DFLIX_LOGIN_LIMIT_ACCOUNT", auth.DefaultAccountLimit.Max), "failed sign-ins allowed per account within --login-limit-window (0: no limit)")
	fs.IntVar(&c.LoginLimitIP, "login-limit-ip", envInt("DFLIX_LOGIN_LIMIT_IP", auth.DefaultIPLimit.Max), "failed sign-ins allowed per client address within --login-limit-window (0: no limit)")
	fs.DurationVar(&c.LoginLimitWindow, "login-limit-window", envDuration("DFLIX_LOGIN_LIMIT_WINDOW", auth.DefaultAccountLimit.Window), "how long failed sign-ins count")
	proxies := fs.String("trusted-proxies", env("DFLIX_TRUSTED_PROXIES", ""), "comma-separated addresses or CIDRs of the reverse proxies whose X-Forwarded-For names the client (default: none)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", 15*time.Second, "time to finish in-flight requests on SIGTERM")
	fs.DurationVar(&c.CacheTTL, "cache-ttl", 30*time.Second, "how long the BFF may keep a catalog read in Dapr mode (events drop entries sooner); 0 disables")
	uploadMiB := fs.Int("upload-max-mib", envInt("DFLIX_UPLOAD_MAX_MIB", 10<<10), "largest media file an admin may upload, in MiB")
	fs.IntVar(&c.EncoderConcurrency, "encoder-concurrency", envInt("DFLIX_ENCODER_CONCURRENCY", 1), "how many videos the encoder encodes at once")
	fs.StringVar(&c.EncoderPreset, "encoder-preset", env("DFLIX_ENCODER_PRESET", ""), "x264 preset of the ladder (default: the encoder's)")
	fs.StringVar(&c.FFmpeg, "ffmpeg", env("DFLIX_FFMPEG", "ffmpeg"), "the ffmpeg binary")
	fs.StringVar(&c.FFprobe, "ffprobe", env("DFLIX_FFPROBE", "ffprobe"), "the ffprobe binary")
	fs.BoolVar(&c.DemoMedia, "demo-media", envBool("DFLIX_DEMO_MEDIA", true), "with --seed-demo, generate a few clips with ffmpeg and upload them")
	fs.DurationVar(&c.RenewalInterval, "renewal-interval", envDuration("DFLIX_RENEWAL_INTERVAL", time.Minute), "how often --target=all runs the renewal sweep (Dapr mode: the renewals cron binding)")
	fs.DurationVar(&c.BillingDay, "billing-day", envDuration("DFLIX_BILLING_DAY", 24*time.Hour), "the length of a billing day (trials, retries, periods); shorten it only to test renewals")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	c.DaprHTTPPort = envInt("DAPR_HTTP_PORT", 3500)
	c.DaprGRPCPort = envInt("DAPR_GRPC_PORT", 50001)
	c.DaprAPIToken = os.Getenv("DAPR_API_TOKEN")
	c.AdminEmail = os.Getenv("DFLIX_ADMIN_EMAIL")
	c.AdminPassword = os.Getenv("DFLIX_ADMIN_PASSWORD")
	c.OTLPEndpoint = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	if !targets[c.Target] {
		return c, fmt.Errorf("unknown --target %q (want all, bff, auth, catalog, subscription or encoder)", c.Target)
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return c, fmt.Errorf("bad --log-level: %w", err)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		return c, errors.New("--log-format must be json or text")
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		return c, errors.New("set both DFLIX_ADMIN_EMAIL and DFLIX_ADMIN_PASSWORD, or neither")
	}
	if *argonMiB < 1 {
		return c, errors.New("--argon2-memory-mib must be at least 1")
	}
	c.ArgonMemoryKiB = uint32(*argonMiB) * 1024
	if c.LoginLimitAccount < 0 || c.LoginLimitIP < 0 || c.LoginLimitWindow <= 0 {
		return c, errors.New("--login-limit-account and --login-limit-ip must be at least 0, --login-limit-window positive")
	}
	trusted, err := parsePrefixes(*proxies)
	if err != nil {
		return c, fmt.Errorf("bad --trusted-proxies: %w", err)
	}
	c.TrustedProxies = trusted
	if *uploadMiB < 1 || c.EncoderConcurrency < 1 {
		return c, errors.New("--upload-max-mib and --encoder-concurrency must be at least 1")
	}
	c.UploadMaxBytes = int64(*uploadMiB) << 20
	return c, nil
}

// parsePrefixes reads comma-separated CIDRs or single addresses.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR", item)
		}
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out, nil
}

// authConfig is the auth service's Config from the flags.
func authConfig(c config) auth.Config {
	limit := func(max int) auth.LoginLimit {
		if max == 0 {
			max = -1 // auth reads zero as "the default", -1 as off
		}
		return auth.LoginLimit{Max: max, Window: c.LoginLimitWindow}
	}
	acfg := auth.Config{Argon2: auth.DefaultArgon2Params, AccountLimit: limit(c.LoginLimitAccount), IPLimit: limit(c.LoginLimitIP)}
	acfg.Argon2.MemoryKiB = c.ArgonMemoryKiB
	return acfg
}

// newLogger logs in c's format; a record logged with a context in a span
// carries trace_id and span_id.
func newLogger(c config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "text" {
		return slog.New(telemetry.LogHandler(slog.NewTextHandler(w, opts)))
	}
	return slog.New(telemetry.LogHandler(slog.NewJSONHandler(w, opts)))
}
