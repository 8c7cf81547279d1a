package dapr

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConnectValidatesConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no app id", Config{HTTPPort: 3500, GRPCPort: 50001}},
		{"bad app id", Config{AppID: "a b", HTTPPort: 3500, GRPCPort: 50001}},
		{"no http port", Config{AppID: "a", GRPCPort: 50001}},
		{"no grpc port", Config{AppID: "a", HTTPPort: 3500}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Connect(context.Background(), tc.cfg)
			assert.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
		})
	}
}

func TestConnectWithoutSidecarIsUnavailable(t *testing.T) {
	ports := freePorts(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := Connect(ctx, Config{AppID: "a", HTTPPort: ports[0], GRPCPort: ports[1]})
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%v", err)
}

func TestConfigDefaults(t *testing.T) {
	c := Config{AppID: "a"}.withDefaults()
	assert.Equal(t, DefaultHost, c.Host)
	assert.Equal(t, DefaultPubSub, c.PubSub)
	assert.Equal(t, DefaultBroadcastPubSub, c.BroadcastPubSub)
	assert.Equal(t, DefaultDeadLetterTopic, c.DeadLetterTopic)
	assert.Equal(t, DefaultBlobBinding, c.BlobBinding)
	assert.Equal(t, int64(DefaultMaxBlobBytes), c.MaxBlobBytes)
	assert.Equal(t, DefaultBlobChunkBytes, c.BlobChunkBytes)
	assert.NotNil(t, c.Logger)
	assert.Equal(t, "http://[::1]:3500", Config{Host: "::1", HTTPPort: 3500}.httpBase())
}

// TestSidecarGoneIsUnavailable: once daprd stops, every port reports
// KindUnavailable.
func TestSidecarGoneIsUnavailable(t *testing.T) {
	e := requireEnv(t)
	ts := startSidecar(t, e, sidecarSpec{appID: "dflix-gone-" + randomID()}, false)
	sc := ts.sc
	ctx := context.Background()
	require.NoError(t, sc.Ready(ctx))

	require.NoError(t, ts.cmd.Process.Kill())
	_ = ts.cmd.Wait()

	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ev, err := platform.NewEvent("test", "gone", "test.happened", time.Now(), nil)
	require.NoError(t, err)
	_, blobErr := sc.Blobs().Put(ctx, "gone/x", bytes.NewReader([]byte("x")))
	_, getErr := sc.State(redisStore).Get(ctx, "gone")
	_, invokeErr := sc.Invoker().Invoke(ctx, "someone", "rpc/Echo", []byte(`{}`))
	for name, err := range map[string]error{
		"ready":   sc.Ready(ctx),
		"get":     getErr,
		"publish": sc.Publisher().Publish(ctx, ev),
		"invoke":  invokeErr,
		"blob":    blobErr,
	} {
		assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "%s: %v", name, err)
	}
}
