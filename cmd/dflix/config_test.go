package main

import (
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", check: func(t *testing.T, c config) {
			assert.Equal(t, "all", c.Target)
			assert.Equal(t, ":8080", c.Addr)
			assert.Equal(t, "./data", c.DataDir)
			assert.Equal(t, "json", c.LogFormat)
			assert.Equal(t, slog.LevelInfo, c.LogLevel)
			assert.Equal(t, uint32(19*1024), c.ArgonMemoryKiB)
			assert.False(t, c.Introspection, "introspection is off outside development")
			assert.Equal(t, 30*time.Second, c.CacheTTL)
			assert.Equal(t, 10, c.LoginLimitAccount)
			assert.Equal(t, 50, c.LoginLimitIP)
			assert.Equal(t, 15*time.Minute, c.LoginLimitWindow)
			assert.Empty(t, c.TrustedProxies)
		}},
		{name: "login limits and proxies from environment", env: map[string]string{"DFLIX_LOGIN_LIMIT_ACCOUNT": "3", "DFLIX_LOGIN_LIMIT_IP": "0",
			"DFLIX_LOGIN_LIMIT_WINDOW": "1h", "DFLIX_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,fd00::1/64"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, 3, c.LoginLimitAccount)
				assert.Equal(t, time.Hour, c.LoginLimitWindow)
				assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/64")}, c.TrustedProxies)
				acfg := authConfig(c)
				assert.Equal(t, auth.LoginLimit{Max: 3, Window: time.Hour}, acfg.AccountLimit)
				assert.Equal(t, auth.LoginLimit{Max: -1, Window: time.Hour}, acfg.IPLimit, "0 turns the limit off")
				assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/64")}, bffConfig(c).TrustedProxies)
			}},
		{name: "login limit flags", args: []string{"--login-limit-account", "5", "--login-limit-ip", "20", "--login-limit-window", "10m"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, auth.LoginLimit{Max: 20, Window: 10 * time.Minute}, authConfig(c).IPLimit)
				assert.Equal(t, auth.LoginLimit{Max: 5, Window: 10 * time.Minute}, authConfig(c).AccountLimit)
			}},
		{name: "negative login limit", args: []string{"--login-limit-ip", "-1"}, wantErr: "at least 0"},
		{name: "bad trusted proxy", args: []string{"--trusted-proxies", "10.0.0.0/8,proxy.local"}, wantErr: "trusted-proxies"},
		{name: "environment", env: map[string]string{"DFLIX_ADDR": "127.0.0.1:9", "DFLIX_DATA_DIR": "/tmp/x", "DFLIX_SEED_DEMO": "true", "DFLIX_LOG_LEVEL": "debug"},
			check: func(t *testing.T, c config) {
				assert.Equal(t, "127.0.0.1:9", c.Addr)
				assert.Equal(t, "/tmp/x", c.DataDir)
				assert.True(t, c.SeedDemo)
				assert.Equal(t, slog.LevelDebug, c.LogLevel)
			}},
		{name: "flags win over environment", env: map[string]string{"DFLIX_ADDR": "127.0.0.1:9"}, args: []string{"--addr", ":7"},
			check: func(t *testing.T, c config) { assert.Equal(t, ":7", c.Addr) }},
		{name: "admin from environment", env: map[string]string{"DFLIX_ADMIN_EMAIL": "a@b.c", "DFLIX_ADMIN_PASSWORD": "secret-123"},
			check: func(t *testing.T, c config) { assert.Equal(t, "a@b.c", c.AdminEmail) }},
		{name: "cache ttl flag", args: []string{"--target", "bff", "--cache-ttl", "0"},
			check: func(t *testing.T, c config) { assert.Zero(t, c.CacheTTL) }},
		{name: "unknown target", args: []string{"--target", "everything"}, wantErr: "unknown --target"},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: "log-level"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: "json or text"},
		{name: "half an admin", env: map[string]string{"DFLIX_ADMIN_EMAIL": "a@b.c"}, wantErr: "both"},
		{name: "argon2 memory too small", args: []string{"--argon2-memory-mib", "0"}, wantErr: "at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"DFLIX_TARGET", "DFLIX_ADDR", "DFLIX_DATA_DIR", "DFLIX_SEED_DEMO", "DFLIX_LOG_LEVEL", "DFLIX_LOG_FORMAT", "DFLIX_ADMIN_EMAIL", "DFLIX_ADMIN_PASSWORD", "DFLIX_ARGON2_MEMORY_MIB", "DFLIX_INTROSPECTION",
				"DFLIX_LOGIN_LIMIT_ACCOUNT", "DFLIX_LOGIN_LIMIT_IP", "DFLIX_LOGIN_LIMIT_WINDOW", "DFLIX_TRUSTED_PROXIES"} {
				t.Setenv(k, "")
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := parseConfig(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			tt.check(t, c)
		})
	}
}

func TestPublicURL(t *testing.T) {
	assert.Equal(t, "http://localhost:8080", publicURL("[::]:8080"))
	assert.Equal(t, "http://localhost:8080", publicURL("0.0.0.0:8080"))
	assert.Equal(t, "http://127.0.0.1:41000", publicURL("127.0.0.1:41000"))
}
