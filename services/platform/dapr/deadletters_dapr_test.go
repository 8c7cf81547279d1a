package dapr

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// downFor bounds the waits of TestDeadLettersOfAnUnreachableApp: a letter
// that daprd could not hand to the app waits for the broker to deliver it
// again (Redis: processingTimeout 3s below, then the next 1s reclaim).
const downFor = 45 * time.Second

// brokerPubSubs are pubsub.yaml (pubsub and broadcast) of each broker the
// dead-letter topics are tried on, the address its server listens on
// (scripts/infra.sh up all), and whether the broker delivers again a
// message whose delivery failed while the subscriber stays connected. MQTT
// does not: daprd leaves it unacknowledged, and Mosquitto sends it again
// only when the session reconnects (the sidecar restarts).
var brokerPubSubs = []struct {
	name, addr, yaml string
	redelivers       bool
}{
	{"redis", redisAddr, redeliveringRedisPubSubYAML, true},
	{"rabbitmq", "127.0.0.1:15673", rabbitPubSubYAML, true},
	{"mqtt", "127.0.0.1:11883", mqttPubSubYAML, false},
}

// TestDeadLettersOfAnUnreachableApp: an app is down while events arrive for
// it, so its sidecar exhausts the retries and dead-letters them without the
// app ever seeing them. Once the app is back its DeadLetterStore lists them,
// under the subscription whose dead-letter topic they arrived on, and a
// redrive delivers them. On each broker the run-unique topic names
// ("deadletters-<id>.work") are created on first subscribe and publish.
func TestDeadLettersOfAnUnreachableApp(t *testing.T) {
	e := requireEnv(t)
	for _, b := range brokerPubSubs {
		t.Run(b.name, func(t *testing.T) {
			requireBroker(t, b.addr)
			topic := "down-" + randomID()
			work, seen := newCounter(false), newCounter(false)
			var dl *DeadLetterStore
			res := map[string]string{"pubsub.yaml": b.yaml}
			ts := startSidecar(t, e, sidecarSpec{appID: "dflix-down-" + randomID(), resources: res, routes: func(t *testing.T, sc *Sidecar) http.Handler {
				require.NoError(t, sc.Subscriber().Subscribe(context.Background(), platform.Subscription{Topic: topic, Name: "work", Handle: work.handle}))
				var err error
				dl, err = sc.DeadLetters(sc.State(redisStore))
				require.NoError(t, err)
				mux := http.NewServeMux()
				sc.Subscriber().Routes(mux)
				return mux
			}}, false)
			// Another app reads the dead-letter topic, to tell when daprd has
			// given up on the events.
			probeTopic, probed := "probe-"+randomID(), newCounter(false)
			watcher := startSidecar(t, e, sidecarSpec{appID: "dflix-dlwatch-" + randomID(), resources: res, routes: func(t *testing.T, sc *Sidecar) http.Handler {
				require.NoError(t, sc.Subscriber().Subscribe(context.Background(), platform.Subscription{Topic: e.deadLetterTopic + ".work", Name: "watch", Handle: seen.handle}))
				require.NoError(t, sc.Subscriber().Subscribe(context.Background(), platform.Subscription{Topic: probeTopic, Name: "probe", Handle: probed.handle}))
				mux := http.NewServeMux()
				sc.Subscriber().Routes(mux)
				return mux
			}}, false)
			// A healthy daprd has read the subscriptions, but MQTT subscribes
			// at the broker a moment later, and a message published before
			// that reaches nobody: wait until both apps receive.
			awaitSubscribed(t, ts.sc.Publisher(), topic, work)
			awaitSubscribed(t, watcher.sc.Publisher(), probeTopic, probed)

			app := &downGate{next: ts.srv.Handler, tries: map[string]int{}}
			app.setDown(true)
			ts.srv.Handler = app
			ids := publishEvents(t, ts.sc.Publisher(), topic, 3)
			require.Eventually(t, func() bool {
				for _, id := range ids {
					if seen.of(id) == 0 {
						return false
					}
				}
				return true
			}, downFor, 50*time.Millisecond, "daprd dead-letters what it cannot deliver")
			// The letters' own deliveries fail as well, until daprd gives up
			// on each and leaves it to the broker to deliver again.
			require.Eventually(t, func() bool {
				return app.triesOf(EventsRoutePrefix+deadLetterRoute+".work") >= len(ids)*testMaxAttempts
			}, downFor, 50*time.Millisecond, "daprd tries to hand the letters to the app")
			letters, err := dl.ListDeadLetters(context.Background())
			require.NoError(t, err)
			require.Empty(t, letters, "nothing is recorded while the app is down")
			if !b.redelivers {
				t.Logf("%s: the letters wait for the sidecar's next connection to the broker", b.name)
				return
			}

			app.setDown(false)
			require.Eventually(t, func() bool {
				letters, err = dl.ListDeadLetters(context.Background())
				return err == nil && len(letters) == len(ids)
			}, downFor, 100*time.Millisecond, "the letters reach the app once it is back")
			for _, l := range letters {
				assert.Equal(t, "work", l.Subscription)
				assert.Contains(t, ids, l.Event.ID)
				assert.Equal(t, topic, l.Event.Topic)
				assert.Equal(t, unreachableReason, l.Reason)
				assert.Zero(t, l.Attempts, "no handler ran")
				assert.Zero(t, work.of(l.Event.ID))
				require.NoError(t, dl.Redrive(context.Background(), l.ID))
			}
			require.Eventually(t, func() bool {
				for _, id := range ids {
					if work.of(id) != 1 {
						return false
					}
				}
				return true
			}, waitFor, 50*time.Millisecond, "a redrive delivers each event")
			letters, err = dl.ListDeadLetters(context.Background())
			require.NoError(t, err)
			assert.Empty(t, letters)
		})
	}
}

// awaitSubscribed publishes probe events on topic, one every 200 ms, until
// c has received one: then the subscriber's sidecar is subscribed at the
// broker, for that topic and the ones it subscribed with it.
func awaitSubscribed(t *testing.T, p platform.Publisher, topic string, c *counter) {
	t.Helper()
	var probes []string
	for deadline := time.Now().Add(waitFor); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		for _, id := range probes {
			if c.of(id) > 0 {
				return
			}
		}
		probes = append(probes, publishEvents(t, p, topic, 1)...)
	}
	t.Fatalf("no probe on %s reached its subscriber in %v", topic, waitFor)
}

// downGate stands for an app that is down: while down it drops every
// connection without an answer, as a crashed process would, and counts the
// attempts by path.
type downGate struct {
	next  http.Handler
	mu    sync.Mutex
	down  bool
	tries map[string]int
}

func (g *downGate) setDown(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
}

func (g *downGate) triesOf(path string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tries[path]
}

func (g *downGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	down := g.down
	if down {
		g.tries[r.URL.Path]++
	}
	g.mu.Unlock()
	if !down {
		g.next.ServeHTTP(w, r)
		return
	}
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// requireBroker fails (CI) or skips the test when nothing listens on addr.
func requireBroker(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err == nil {
		_ = conn.Close()
		return
	}
	msg := "no broker on " + addr + ": run scripts/infra.sh up all"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// redeliveringRedisPubSubYAML is pubsubYAML with a short processingTimeout,
// so a message whose delivery failed (a letter for an app that is down) is
// delivered again within seconds rather than a minute.
var redeliveringRedisPubSubYAML = pubSubPair("pubsub.redis", []string{"redisHost", "{{.Redis}}", "redisPassword", "",
	"processingTimeout", "3s", "redeliverInterval", "1s"}, nil, nil)

// rabbitPubSubYAML is components/rabbitmq-postgres's pubsub and broadcast,
// with queues and exchanges that go when the test's sidecars do.
var rabbitPubSubYAML = pubSubPair("pubsub.rabbitmq", []string{"connectionString", "amqp://guest:guest@127.0.0.1:15673",
	"durable", "false", "deletedWhenUnused", "true", "requeueInFailure", "true"}, []string{"publisherConfirm", "true"}, nil)

// mqttPubSubYAML is components/mqtt-sqlite's pubsub and broadcast: a
// persistent session for the app's group, a clean one per sidecar.
var mqttPubSubYAML = pubSubPair("pubsub.mqtt3", []string{"url", "tcp://127.0.0.1:11883", "qos", "1"},
	[]string{"cleanSession", "false"}, []string{"cleanSession", "true"})
