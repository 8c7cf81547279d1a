package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// durabilitySet is the component set the Dapr durability test runs on:
// there the broker (RabbitMQ: durable queues, persistent messages,
// publisher confirms) and the state server (PostgreSQL) are two servers,
// each killed on its own, and a killed broker's unacknowledged deliveries
// come back as redeliveries.
const durabilitySet = "rabbitmq-postgres"

// daprApp is one app of dapr/dapr.yaml: its port and its sidecar's HTTP port.
type daprApp struct {
	id             string
	port, daprHTTP int
}

var daprApps = []daprApp{{"bff", 8080, 3500}, {"auth", 8081, 3501}, {"catalog", 8082, 3502}, {"subscription", 8083, 3503}, {"encoder", 8084, 3504}}

// victim is something the test kills with SIGKILL: the process listening
// on addr. daprrun -restart brings back apps and sidecars; restart brings
// back a server. back says it serves again.
type victim struct {
	name    string
	addr    string
	restart []string // infra.sh arguments; nil when daprrun restarts it
	back    func() bool
}

// TestDaprAcknowledgedWritesSurviveKill9 runs the durability writers
// against the platform in Dapr mode while SIGKILL hits, one after another
// at random (seeded) moments, three service apps, two sidecars, the broker
// and the state server. daprrun -restart brings the apps and sidecars
// back, infra.sh the servers; writers retry what fails meanwhile. After the
// last kill and the platform's recovery every acknowledged write must be
// there, and no effect twice.
func TestDaprAcknowledgedWritesSurviveKill9(t *testing.T) {
	root := daprBinaries(t)
	seed := durabilitySeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	plan := killPlan(root, rng)
	startDaprRun(t, root, durabilitySet, "-restart")

	c := newClient(bffURL)
	admin := c.withToken(login(t, c, adminEmail, adminPassword))
	led := newLedger(runMarker())
	plans := createPlans(t, admin, led.marker)
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	var wg sync.WaitGroup
	for w := range 3 {
		s := newStream(fmt.Sprintf("w%d", w), bffURL, admin, led, plans, seed, w, stopped)
		wg.Go(func() { s.run(100000) })
	}
	var once sync.Once
	halt := func() { once.Do(func() { close(stop) }); wg.Wait() }
	defer halt() // after a failed require as well

	kills := map[string]int{}
	for i, v := range plan {
		gap := time.Duration(2000+rng.IntN(6000)) * time.Millisecond
		time.Sleep(gap) // the kill point, not a wait
		kill(t, root, v, fmt.Sprintf("kill %d of %d, after %s", i+1, len(plan), gap))
		kills[v.name]++
	}
	require.Eventually(t, func() bool { return platformReady(admin) }, 2*time.Minute, 500*time.Millisecond, "the platform serves again after the kills")
	// Writes flow again before the writers stop: what is in flight now has
	// its answer.
	acked := led.ackedTotal()
	require.Eventually(t, func() bool { return led.ackedTotal() >= acked+30 }, time.Minute, 100*time.Millisecond, "writes are acknowledged again")
	halt()

	require.Eventually(t, func() bool { return platformReady(admin) }, time.Minute, 500*time.Millisecond)
	a := verify(t, bffURL, led)
	mode := "dapr " + durabilitySet
	approved := 0
	a.dups["charges"] = 0 // checked in this mode only: the gateway's records are in PostgreSQL
	for user, n := range gatewayCharges(t) {
		approved += n
		if n > 1 {
			a.dup("charges", "viewer %s charged %d times for a first period", user, n)
		}
	}
	t.Logf("figure: %s: approved first charges at the gateway: %d, PAID invoices: %d (a charge without its invoice is a subscribe still in flight)", mode, approved, a.paid)
	names := slices.Sorted(maps.Keys(kills))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, kills[n])
	}
	t.Logf("figure: %s: kills by victim: %s (total %d)", mode, strings.Join(parts, " "), len(plan))
	a.report(t, mode, led)
}

// killPlan draws the victims, in order: three of the five apps, two
// sidecars, the broker and the state server.
func killPlan(root string, rng *rand.Rand) []victim {
	var plan []victim
	for _, i := range rng.Perm(len(daprApps))[:3] {
		a := daprApps[i]
		plan = append(plan, victim{name: a.id, addr: fmt.Sprintf("127.0.0.1:%d", a.port),
			back: func() bool { return healthy(fmt.Sprintf("http://127.0.0.1:%d/healthz", a.port)) && sidecarHealthy(a) }})
	}
	for range 2 {
		a := daprApps[rng.IntN(len(daprApps))]
		plan = append(plan, victim{name: a.id + ".daprd", addr: fmt.Sprintf("127.0.0.1:%d", a.daprHTTP),
			back: func() bool { return sidecarHealthy(a) }})
	}
	infra := filepath.Join(root, "scripts/infra.sh")
	for _, s := range []struct{ name, port string }{{"rabbitmq", "15673"}, {"postgres", "15432"}} {
		plan = append(plan, victim{name: s.name, addr: "127.0.0.1:" + s.port, restart: []string{"up", s.name},
			back: func() bool { return exec.Command(infra, "status", s.name).Run() == nil }})
	}
	rng.Shuffle(len(plan), func(i, j int) { plan[i], plan[j] = plan[j], plan[i] })
	return plan
}

// kill sends SIGKILL to v, waits until it is gone, restarts it when daprrun
// does not, and waits until it serves again.
func kill(t *testing.T, root string, v victim, when string) {
	t.Helper()
	pid := listenerPID(t, v.addr)
	began := time.Now()
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	require.Eventually(t, func() bool { return syscall.Kill(pid, 0) != nil }, 30*time.Second, 20*time.Millisecond, "%s (pid %d) is gone", v.name, pid)
	if v.restart != nil {
		// A killed PostgreSQL's backends take a moment to notice: until
		// then a new server refuses the old shared memory.
		var out []byte
		require.Eventually(t, func() bool {
			var err error
			out, err = exec.Command(filepath.Join(root, "scripts/infra.sh"), v.restart...).CombinedOutput()
			return err == nil
		}, 2*time.Minute, time.Second, "infra.sh %v: %s", v.restart, out)
	}
	require.Eventually(t, v.back, 2*time.Minute, 100*time.Millisecond, "%s serves again", v.name)
	t.Logf("%s: kill -9 %s (pid %d); back after %s", when, v.name, pid, time.Since(began).Round(100*time.Millisecond))
}

// gatewayCharges counts the sandbox gateway's approved first charges
// ("subscribe:<user>:<attempt>" keys) by viewer, from its records in the
// subscription app's PostgreSQL table: the gateway lists charges only by
// card token, and every Subscribe call tokenizes the card anew.
func gatewayCharges(t *testing.T) map[string]int {
	t.Helper()
	out, err := exec.Command("psql", "-h", "127.0.0.1", "-p", "15432", "-U", "postgres", "-d", "dflix", "-tA", "-F", "\t", "-c",
		`SELECT key, value #>> '{}' FROM subscription_state WHERE key LIKE 'subscription||sandbox/charge/subscribe:%'`).Output()
	require.NoError(t, err)
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		key, value, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(value) // a binary value, as dflix's adapter stores it
		if err != nil {
			raw = []byte(value)
		}
		var rec struct{ Charge struct{ Approved bool } }
		require.NoError(t, json.Unmarshal(raw, &rec), "charge record %s", key)
		if rec.Charge.Approved {
			counts[strings.Split(key, ":")[1]]++
		}
	}
	return counts
}

func healthy(url string) bool {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode/100 == 2
}

// sidecarHealthy: the sidecar answers and, as it checks its app's health,
// reaches its app.
func sidecarHealthy(a daprApp) bool {
	return healthy(fmt.Sprintf("http://127.0.0.1:%d/v1.0/healthz", a.daprHTTP))
}

// platformReady: every app and sidecar answers, and a sign-in, a catalog
// listing and the plans go through the BFF.
func platformReady(admin *client) bool {
	for _, a := range daprApps {
		if !healthy(fmt.Sprintf("http://127.0.0.1:%d/healthz", a.port)) || !sidecarHealthy(a) {
			return false
		}
	}
	var out struct{ Login struct{ AccessToken string } }
	if query(newClient(bffURL), `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": adminEmail, "p": adminPassword}, &out) != nil {
		return false
	}
	var list struct{ Videos struct{ TotalCount int } }
	return query(admin, `{ videos(first: 1) { totalCount } plans { id } }`, nil, &list) == nil
}
