package dapr

import (
	"context"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
	"github.com/stretchr/testify/require"
)

var (
	mainOnce    sync.Once
	mainSidecar *testSidecar
)

// mainSC returns the sidecar shared by the State and Blob tests (no app),
// started on first use and stopped by TestMain.
func mainSC(t *testing.T) *Sidecar {
	t.Helper()
	e := requireEnv(t)
	mainOnce.Do(func() {
		mainSidecar = startSidecar(t, e, sidecarSpec{appID: "dflix-test-" + randomID(), postgres: e.postgres}, true)
	})
	if mainSidecar == nil || mainSidecar.sc == nil {
		t.Fatal("the shared sidecar failed to start in an earlier test")
	}
	return mainSidecar.sc
}

func TestStateRedis(t *testing.T) {
	sc := mainSC(t)
	platformtest.TestState(t, func(*testing.T) platform.State { return sc.State(redisStore) })
}

func TestStateSQLite(t *testing.T) {
	sc := mainSC(t)
	platformtest.TestState(t, func(*testing.T) platform.State { return sc.State(sqliteStore) })
}

func TestStatePostgres(t *testing.T) {
	sc := mainSC(t)
	if env.postgres == "" {
		msg := "no PostgreSQL: run scripts/infra.sh up postgres, or set DFLIX_DAPR_POSTGRES to a connection string"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg) // make test starts it; in CI its absence is a broken setup, not a reason to skip
		}
		t.Skip(msg)
	}
	platformtest.TestState(t, func(*testing.T) platform.State { return sc.State(pgStore) })
}

// testBlobChunk is the chunk size of the Blob conformance run: small, so
// that its blobs span hundreds of chunks and it stays fast.
const testBlobChunk = 64 << 10

func TestBlob(t *testing.T) {
	sc := mainSC(t)
	b := sc.blobs(testBlobChunk, DefaultMaxBlobBytes)
	platformtest.TestBlob(t, func(*testing.T) platform.Blob { return b }, platformtest.BlobChunkSize(testBlobChunk))
}

func TestInvoker(t *testing.T) {
	e := requireEnv(t)
	platformtest.TestInvoker(t, func(t *testing.T, app string, h http.Handler) platform.Invoker {
		callee := startSidecar(t, e, sidecarSpec{appID: app, app: h}, false)
		caller := startSidecar(t, e, sidecarSpec{appID: "dflix-caller-" + randomID(), peers: map[string]int{app: callee.internalPort}}, false)
		return caller.sc.Invoker()
	})
}

func TestPubSub(t *testing.T) {
	e := requireEnv(t)
	platformtest.TestPubSub(t, platformtest.PubSubHarness{
		MaxAttempts: testMaxAttempts,
		Timeout:     20 * time.Second,
		Start: func(t *testing.T, subs []platform.Subscription) platformtest.PubSubPorts {
			var dl *DeadLetterStore
			ts := startSidecar(t, e, sidecarSpec{
				appID: "dflix-ps-" + randomID(),
				routes: func(t *testing.T, sc *Sidecar) http.Handler {
					sub := sc.Subscriber()
					for _, s := range subs {
						require.NoError(t, sub.Subscribe(context.Background(), s))
					}
					var err error
					dl, err = sc.DeadLetters(sc.State(redisStore))
					require.NoError(t, err)
					mux := http.NewServeMux()
					sub.Routes(mux)
					return mux
				},
			}, false)
			return platformtest.PubSubPorts{Publisher: ts.sc.Publisher(), DeadLetters: dl}
		},
	})
}
