package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAcknowledgedWritesSurviveKill9 streams mutations from three writers
// (register, createVideo, updateVideo, publishVideo, addTags, subscribe,
// changePlan, cancelSubscription, recordProgress), SIGKILLs the one
// process at a random moment (three times), restarts it on the same data,
// and checks that every acknowledged write is there and no effect is there
// twice.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	seed := durabilitySeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	led := newLedger(runMarker())
	var plans [2]string
	for round := range 3 {
		in := start(t, dir)
		c := newClient(in.URL)
		admin := c.withToken(login(t, c, adminEmail, adminPassword))
		if round == 0 {
			plans = createPlans(t, admin, led.marker)
		}
		var wg sync.WaitGroup
		for w := range 3 {
			s := newStream(fmt.Sprintf("r%dw%d", round, w), in.URL, admin, led, plans, seed, 3*round+w, in.exited)
			wg.Go(func() { s.run(1000) })
		}
		after := time.Duration(1000+rng.IntN(2000)) * time.Millisecond
		time.Sleep(after) // the kill point, not a wait
		t.Logf("round %d: kill -9 after %s", round, after)
		in.kill()
		wg.Wait()
	}

	in := start(t, dir)
	verify(t, in.URL, led).report(t, "one process", led)
}

// exited reports whether the process has exited: a writer's stop signal.
func (in *instance) exited() bool {
	select {
	case <-in.done:
		return true
	default:
		return false
	}
}

// durabilitySeed is the seed of a durability test's random choices (kill
// points, victims, plans): DFLIX_DURABILITY_SEED replays a run's.
func durabilitySeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("DFLIX_DURABILITY_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DFLIX_DURABILITY_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (DFLIX_DURABILITY_SEED=%d replays these choices)", seed, seed)
	return seed
}

// runMarker is a word in every title and email a run writes, lower case
// as videosByName folds titles.
func runMarker() string {
	return "dur" + strings.ToLower(strconv.FormatInt(time.Now().UnixNano(), 36))
}

func login(t *testing.T, c *client, email, password string) string {
	t.Helper()
	var out struct{ Login authPayload }
	c.must(t, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id role } } }`, map[string]any{"e": email, "p": password}, &out)
	return out.Login.AccessToken
}
