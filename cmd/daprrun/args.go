package main

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
)

// daprdArgs is the daprd command line of a's sidecar. withApp false starts
// the sidecar without its app (no app port, no health checks).
func daprdArgs(a app, withApp bool) []string {
	args := []string{
		"--app-id", a.ID,
		"--dapr-listen-addresses", "127.0.0.1",
		"--dapr-http-port", strconv.Itoa(a.HTTPPort),
		"--dapr-grpc-port", strconv.Itoa(a.GRPCPort),
		"--log-level", a.LogLevel,
	}
	if a.InternalPort > 0 {
		args = append(args, "--dapr-internal-grpc-port", strconv.Itoa(a.InternalPort))
	}
	if a.MetricsPort > 0 {
		args = append(args, "--metrics-port", strconv.Itoa(a.MetricsPort))
	} else {
		args = append(args, "--enable-metrics=false")
	}
	for _, p := range a.Resources {
		args = append(args, "--resources-path", p)
	}
	if a.Config != "" {
		args = append(args, "--config", a.Config)
	}
	if a.APILogging {
		args = append(args, "--enable-api-logging")
	}
	if !withApp {
		return args
	}
	args = append(args,
		"--app-port", strconv.Itoa(a.Port),
		"--app-protocol", a.Protocol,
		"--app-channel-address", a.ChannelAddress,
	)
	if a.Health {
		args = append(args, "--enable-app-health-check")
		if a.HealthPath != "" {
			args = append(args, "--app-health-check-path", a.HealthPath)
		}
		if a.HealthInterval > 0 {
			args = append(args, "--app-health-probe-interval", strconv.Itoa(a.HealthInterval))
		}
		if a.HealthTimeout > 0 {
			args = append(args, "--app-health-probe-timeout", strconv.Itoa(a.HealthTimeout))
		}
		if a.HealthThreshold > 0 {
			args = append(args, "--app-health-threshold", strconv.Itoa(a.HealthThreshold))
		}
	}
	return args
}

// daprdEnv is the sidecar's environment: ours, advertising loopback to the
// other sidecars (mDNS), as in self-hosted mode.
func daprdEnv() []string {
	return append(os.Environ(), "DAPR_HOST_IP=127.0.0.1")
}

// appEnv is the app's environment: ours, then the run file's env, then what
// the dapr CLI sets for an app (ports, app id), then DFLIX_ADDR for dflix.
func appEnv(a app) []string {
	env := map[string]string{}
	maps.Copy(env, a.Env)
	env["APP_ID"] = a.ID
	env["APP_PORT"] = strconv.Itoa(a.Port)
	env["APP_PROTOCOL"] = a.Protocol
	env["DAPR_HTTP_PORT"] = strconv.Itoa(a.HTTPPort)
	env["DAPR_GRPC_PORT"] = strconv.Itoa(a.GRPCPort)
	if a.MetricsPort > 0 {
		env["DAPR_METRICS_PORT"] = strconv.Itoa(a.MetricsPort)
	}
	if _, ok := env["DFLIX_ADDR"]; !ok {
		env["DFLIX_ADDR"] = fmt.Sprintf("127.0.0.1:%d", a.Port)
	}
	out := os.Environ()
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}
