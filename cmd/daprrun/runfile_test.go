package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository root, two folders above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

func TestLoadRunFileResolvesTheRealRunFile(t *testing.T) {
	root := repoRoot(t)
	apps, err := loadRunFile(filepath.Join(root, "dapr", "dapr.yaml"))
	require.NoError(t, err)

	ids := make([]string, 0, len(apps))
	for _, a := range apps {
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []string{"bff", "auth", "catalog", "encoder", "subscription"}, ids)

	for _, a := range apps {
		t.Run(a.ID, func(t *testing.T) {
			assert.Equal(t, filepath.Join(root, "dapr"), a.Dir)
			assert.Equal(t, []string{filepath.Join(root, "bin", "dflix"), "--target=" + a.ID}, a.Command)
			assert.Equal(t, []string{filepath.Join(root, "components", "redis")}, a.Resources)
			assert.Equal(t, filepath.Join(root, "dapr", "config.yaml"), a.Config)
			assert.Equal(t, "http", a.Protocol)
			assert.Equal(t, "text", a.Env["DFLIX_LOG_FORMAT"], "common env is merged in")
			assert.NotZero(t, a.MetricsPort)
			assert.NotZero(t, a.InternalPort)
			assert.True(t, a.Health)
		})
	}
	assert.Equal(t, 8080, apps[0].Port, "the BFF is the edge on :8080")
}

func TestLoadRunFileRejects(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"wrong version", "version: 2\napps: [{appDirPath: ., command: [x], appPort: 1, daprHTTPPort: 2, daprGRPCPort: 3}]\n", "version 2"},
		{"no apps", "version: 1\n", "no apps"},
		{"no dir", "version: 1\napps: [{appID: a, command: [x]}]\n", "appDirPath"},
		{"no command", "version: 1\napps: [{appID: a, appDirPath: .}]\n", "command"},
		{"no port", "version: 1\napps: [{appID: a, appDirPath: ., command: [x], appPort: 1, daprHTTPPort: 2}]\n", "daprGRPCPort"},
		{"shared port", "version: 1\napps:\n" +
			"  - {appID: a, appDirPath: ., command: [x], appPort: 1, daprHTTPPort: 2, daprGRPCPort: 3}\n" +
			"  - {appID: b, appDirPath: ., command: [x], appPort: 4, daprHTTPPort: 2, daprGRPCPort: 5}\n", "port 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dapr.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tt.yaml), 0o644))
			_, err := loadRunFile(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestWithComponentsSwapsTheSet(t *testing.T) {
	root := repoRoot(t)
	apps, err := loadRunFile(filepath.Join(root, "dapr", "dapr.yaml"))
	require.NoError(t, err)

	for _, set := range []string{"redis", "rabbitmq-postgres", "mqtt-sqlite"} {
		t.Run(set, func(t *testing.T) {
			got, err := withComponents(apps, set)
			require.NoError(t, err)
			for _, a := range got {
				assert.Equal(t, []string{filepath.Join(root, "components", set)}, a.Resources)
			}
		})
	}
	_, err = withComponents(apps, "no-such-set")
	require.Error(t, err)
	assert.Equal(t, filepath.Join(root, "components", "redis"), apps[0].Resources[0], "the input is not changed")
}

func TestSelectApps(t *testing.T) {
	apps := []app{{ID: "bff", Name: "bff"}, {ID: "auth", Name: "auth"}, {ID: "catalog", Name: "catalog"}, {ID: "catalog", Name: "catalog-2"}}
	got, err := selectApps(apps, "catalog-2, auth")
	require.NoError(t, err)
	assert.Equal(t, []app{{ID: "catalog", Name: "catalog-2"}, {ID: "auth", Name: "auth"}}, got)
	got, err = selectApps(apps, "")
	require.NoError(t, err)
	assert.Len(t, got, 4)
	_, err = selectApps(apps, "encoder")
	require.Error(t, err)
}

func TestDaprdArgs(t *testing.T) {
	a := app{
		ID: "catalog", Port: 8082, Protocol: "http", ChannelAddress: "127.0.0.1",
		HTTPPort: 3502, GRPCPort: 30003, InternalPort: 30013, MetricsPort: 19092,
		Resources: []string{"/r/components/redis"}, Config: "/r/dapr/config.yaml", LogLevel: "info",
		Health: true, HealthPath: "/healthz", HealthInterval: 5,
	}
	args := strings.Join(daprdArgs(a, true), " ")
	for _, want := range []string{
		"--app-id catalog", "--app-port 8082", "--app-protocol http", "--dapr-http-port 3502",
		"--dapr-grpc-port 30003", "--dapr-internal-grpc-port 30013", "--metrics-port 19092",
		"--resources-path /r/components/redis", "--config /r/dapr/config.yaml",
		"--dapr-listen-addresses 127.0.0.1", "--enable-app-health-check", "--app-health-check-path /healthz",
	} {
		assert.Contains(t, args, want)
	}
	alone := strings.Join(daprdArgs(a, false), " ")
	assert.NotContains(t, alone, "--app-port")
	assert.NotContains(t, alone, "--enable-app-health-check")
}

func TestAppEnv(t *testing.T) {
	a := app{ID: "auth", Port: 8081, Protocol: "http", HTTPPort: 3501, GRPCPort: 30002, Env: map[string]string{"X": "1"}}
	env := appEnv(a)
	for _, want := range []string{"APP_ID=auth", "APP_PORT=8081", "DAPR_HTTP_PORT=3501", "DAPR_GRPC_PORT=30002", "DFLIX_ADDR=127.0.0.1:8081", "X=1"} {
		assert.True(t, slices.Contains(env, want), want)
	}
	a.Env["DFLIX_ADDR"] = "127.0.0.1:9999"
	assert.True(t, slices.Contains(appEnv(a), "DFLIX_ADDR=127.0.0.1:9999"), "the run file's DFLIX_ADDR wins")
}

func TestOutputPrefixesLines(t *testing.T) {
	var buf bytes.Buffer
	dir := t.TempDir()
	out := &output{w: &buf, width: 7, dir: dir}
	w, wait, err := out.pipe("auth")
	require.NoError(t, err)
	_, err = w.WriteString("one\ntwo\n")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	wait()
	assert.Equal(t, "auth    | one\nauth    | two\n", buf.String())
	logged, err := os.ReadFile(filepath.Join(dir, "auth.log"))
	require.NoError(t, err)
	assert.Equal(t, "one\ntwo\n", string(logged))
}

// TestConfigResolvesEveryApp checks that dapr/config.yaml's name resolution
// template sends each app id of dapr/dapr.yaml to its sidecar's internal gRPC
// port, and anything else nowhere.
func TestConfigResolvesEveryApp(t *testing.T) {
	root := repoRoot(t)
	apps, err := loadRunFile(filepath.Join(root, "dapr", "dapr.yaml"))
	require.NoError(t, err)
	resolve := resolver(t, filepath.Join(root, "dapr", "config.yaml"))
	for _, a := range apps {
		assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", a.InternalPort), resolve(a.ID), a.ID)
	}
	assert.Equal(t, "127.0.0.1:1", resolve("nobody"))
}

// resolver renders the kubernetes name resolution template of a Dapr
// Configuration file, as daprd would for an app id.
func resolver(t *testing.T, path string) func(id string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var cfg struct {
		Spec struct {
			NameResolution struct {
				Component     string `yaml:"component"`
				Configuration struct {
					Template string `yaml:"template"`
				} `yaml:"configuration"`
			} `yaml:"nameResolution"`
		} `yaml:"spec"`
	}
	require.NoError(t, yaml.Unmarshal(data, &cfg))
	require.Equal(t, "kubernetes", cfg.Spec.NameResolution.Component, "%s: never mdns", path)
	tmpl, err := template.New("nr").Parse(cfg.Spec.NameResolution.Configuration.Template)
	require.NoError(t, err)
	return func(id string) string {
		var b strings.Builder
		require.NoError(t, tmpl.Execute(&b, struct{ ID string }{id}))
		return b.String()
	}
}
