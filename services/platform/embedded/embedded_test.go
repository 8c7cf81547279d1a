package embedded_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	runKillChild() // returns unless this process is the kill test's child
	m.Run()
}

// quiet discards the bus log.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// fastBackoff retries at once, so retry cases finish quickly.
func fastBackoff(int) time.Duration { return time.Millisecond }

func openState(t *testing.T, path string) *embedded.State {
	t.Helper()
	s, err := embedded.OpenState(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// openBus opens a bus closed at cleanup, with fast retries and a quiet log
// unless opts says otherwise.
func openBus(t *testing.T, path string, opts embedded.BusOptions) *embedded.Bus {
	t.Helper()
	if opts.Backoff == nil {
		opts.Backoff = fastBackoff
	}
	if opts.Logger == nil {
		opts.Logger = quiet()
	}
	b, err := embedded.OpenBus(path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	t.Run("State", func(t *testing.T) {
		platformtest.TestState(t, func(t *testing.T) platform.State {
			return openState(t, filepath.Join(t.TempDir(), "state.db"))
		})
	})
	t.Run("PubSub", func(t *testing.T) {
		platformtest.TestPubSub(t, platformtest.PubSubHarness{
			MaxAttempts: 4,
			Timeout:     10 * time.Second,
			Start: func(t *testing.T, subs []platform.Subscription) platformtest.PubSubPorts {
				bus := openBus(t, filepath.Join(t.TempDir(), "bus.db"), embedded.BusOptions{MaxAttempts: 4})
				for _, s := range subs {
					require.NoError(t, bus.Subscribe(context.Background(), s))
				}
				require.NoError(t, bus.Start(context.Background()))
				return platformtest.PubSubPorts{Publisher: bus, DeadLetters: bus}
			},
		})
	})
	t.Run("Invoker", func(t *testing.T) {
		platformtest.TestInvoker(t, func(t *testing.T, app string, h http.Handler) platform.Invoker {
			inv := embedded.NewInvoker()
			inv.Register(app, h)
			return inv
		})
	})
	t.Run("Blob", func(t *testing.T) {
		platformtest.TestBlob(t, func(t *testing.T) platform.Blob {
			b, err := embedded.OpenBlobs(t.TempDir())
			require.NoError(t, err)
			return b
		})
	})
}
