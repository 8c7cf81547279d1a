package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/platformtest"
)

// faultApp is one app of dapr/dapr.yaml: where it listens and where its
// sidecar does, enough to kill it and start it again beside its sidecar.
type faultApp struct {
	name, addr, daprHTTP, daprGRPC string
}

var (
	catalogApp      = faultApp{"catalog", "127.0.0.1:8082", "3502", "30003"}
	subscriptionApp = faultApp{"subscription", "127.0.0.1:8083", "3503", "30004"}
)

// kill sends SIGKILL to the app's process, as a crash or an OOM kill would.
func (a faultApp) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, syscall.Kill(listenerPID(t, a.addr), syscall.SIGKILL))
}

// restart starts the app again beside its still-running sidecar, the way
// daprrun started it, and stops it when owner (a test that outlives t)
// ends.
func (a faultApp) restart(t, owner *testing.T, root string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "bin/dflix"), "--target="+a.name)
	cmd.Dir = filepath.Join(root, "dapr")
	cmd.Env = append(os.Environ(), "DAPR_HTTP_PORT="+a.daprHTTP, "DAPR_GRPC_PORT="+a.daprGRPC,
		"DFLIX_ADDR="+a.addr, "DFLIX_DATA_DIR=../data/dapr/"+a.name, "DFLIX_LOG_FORMAT=json",
		"DFLIX_ADMIN_EMAIL="+adminEmail, "DFLIX_ADMIN_PASSWORD="+adminPassword, "DFLIX_BILLING_DAY=2s")
	logs := &platformtest.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	owner.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		if owner.Failed() {
			t.Logf("restarted %s:\n%s", a.name, tail(logs.String(), 100))
		}
	})
}

// poll calls cond every interval until it holds, and fails the test when
// it does not within limit. Unlike require.Eventually it calls cond on the
// test's own goroutine, so cond may use require.
func poll(t *testing.T, limit, every time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		<-tick.C
	}
}

// listenerPID returns the pid of the process listening on addr.
func listenerPID(t *testing.T, addr string) int {
	t.Helper()
	out, err := exec.Command("ss", "-ltnpH", "src", addr).Output()
	require.NoError(t, err)
	m := regexp.MustCompile(`pid=(\d+)`).FindSubmatch(out)
	require.NotNil(t, m, "nothing listens on %s: %s", addr, out)
	pid, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return pid
}

// timed is one GraphQL response and how long it took to arrive.
type timed struct {
	data   map[string]json.RawMessage
	errors []gqlError
	took   time.Duration
}

// ask sends one operation and times it; a transport failure fails the test
// (the BFF itself must keep answering).
func ask(t *testing.T, c *client, query string, vars map[string]any) timed {
	t.Helper()
	began := time.Now()
	resp, err := c.do(query, vars)
	took := time.Since(began)
	require.NoError(t, err, "the BFF answers")
	var data map[string]json.RawMessage
	if len(resp.Data) > 0 {
		require.NoError(t, json.Unmarshal(resp.Data, &data))
	}
	return timed{data: data, errors: resp.Errors, took: took}
}

// full reports whether every field answered.
func (a timed) full() bool { return len(a.errors) == 0 && a.data != nil }

// String lists the errors, for failure messages.
func (a timed) String() string {
	b, _ := json.Marshal(a.errors)
	return string(b)
}

// requirePartial checks a partial timed: the fields in withData carry
// data, and each field in null is null with exactly one error, at its own
// path, of the given code.
func requirePartial(t *testing.T, a timed, withData []string, null map[string]string) {
	t.Helper()
	require.NotNil(t, a.data, "data is kept: %s", a)
	for _, f := range withData {
		raw := a.data[f]
		assert.True(t, len(raw) > 0 && string(raw) != "null", "%s has data: %s", f, a)
	}
	require.Len(t, a.errors, len(null), "one error per failed field: %s", a)
	for _, e := range a.errors {
		require.Len(t, e.Path, 1, "a root field's error: %s", a)
		field := fmt.Sprint(e.Path[0])
		code, ok := null[field]
		require.True(t, ok, "no error expected at %s: %s", field, a)
		assert.Equal(t, code, e.Code(), "code at %s: %s", field, e.Message)
		assert.Equal(t, "null", orNull(a.data[field]), "%s is null", field)
	}
}

func orNull(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	return string(raw)
}

// breakerLog reads the circuit breaker state changes a sidecar logged
// (daprd logs each one: `Circuit breaker "<name>" changed state from A to B`).
type breakerLog struct{ path string }

var breakerChange = regexp.MustCompile(`Circuit breaker \\?"([^"\\]+)\\?" changed state from (\S+) to ([a-z-]+)`)

// changes returns every change logged so far, as "name: from -> to".
func (b breakerLog) changes(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(b.path)
	require.NoError(t, err)
	var out []string
	for _, m := range breakerChange.FindAllStringSubmatch(string(data), -1) {
		out = append(out, fmt.Sprintf("%s: %s -> %s", m[1], m[2], m[3]))
	}
	return out
}

// since returns the changes logged after the first n whose breaker name
// starts with prefix (daprd names an app method's breaker "<app>:<method>")
// and that contain want.
func (b breakerLog) since(t *testing.T, n int, prefix, want string) []string {
	t.Helper()
	var out []string
	for _, c := range b.changes(t)[n:] {
		if strings.HasPrefix(c, prefix) && strings.Contains(c, want) {
			out = append(out, c)
		}
	}
	return out
}

// player plays one HLS stream as a video element does, with nothing but
// the signed manifest URL: the master playlist, then its top variant's
// playlist and segments in turn, over and over, a segment every 100 ms.
type player struct {
	base, manifest string
	segments       atomic.Int64 // served
	playlists      atomic.Int64 // served
	failures       atomic.Int64
	mu             sync.Mutex
	lastFailure    string
	stop           context.CancelFunc
	done           chan struct{}
}

func startPlayer(t *testing.T, base, manifestURL string) *player {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &player{base: base, manifest: manifestURL, stop: cancel, done: make(chan struct{})}
	go p.run(ctx)
	t.Cleanup(p.halt)
	return p
}

// halt stops the player and waits for it.
func (p *player) halt() {
	p.stop()
	<-p.done
}

func (p *player) run(ctx context.Context) {
	defer close(p.done)
	client := &http.Client{Timeout: 10 * time.Second}
	pace := time.NewTicker(100 * time.Millisecond)
	defer pace.Stop()
	for ctx.Err() == nil {
		master, ok := p.get(ctx, client, p.base+p.manifest, &p.playlists)
		if !ok {
			p.wait(ctx, pace)
			continue
		}
		variants, _ := playlistEntries(master)
		if len(variants) == 0 {
			p.fail("master playlist without variants")
			p.wait(ctx, pace)
			continue
		}
		playlistURL := resolve(p.base+p.manifest, variants[len(variants)-1])
		body, ok := p.get(ctx, client, playlistURL, &p.playlists)
		if !ok {
			p.wait(ctx, pace)
			continue
		}
		segments, _ := playlistEntries(body)
		for _, s := range segments {
			if ctx.Err() != nil {
				return
			}
			p.get(ctx, client, resolve(playlistURL, s), &p.segments)
			p.wait(ctx, pace)
		}
	}
}

// wait waits for the next pacing tick (the player's own rate, not for an
// event) or the end.
func (p *player) wait(ctx context.Context, pace *time.Ticker) {
	select {
	case <-ctx.Done():
	case <-pace.C:
	}
}

func (p *player) get(ctx context.Context, client *http.Client, url string, served *atomic.Int64) ([]byte, bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		p.fail(err.Error())
		return nil, false
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			p.fail(err.Error())
		}
		return nil, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || len(body) == 0 {
		if ctx.Err() == nil {
			p.fail(fmt.Sprintf("GET %s: status %d, %d bytes, %v", url, resp.StatusCode, len(body), err))
		}
		return nil, false
	}
	served.Add(1)
	return body, true
}

func (p *player) fail(msg string) {
	p.failures.Add(1)
	p.mu.Lock()
	p.lastFailure = msg
	p.mu.Unlock()
}

// tally is what a player had fetched at one moment.
type tally struct{ segments, playlists, failures int64 }

func (p *player) tally() tally {
	return tally{p.segments.Load(), p.playlists.Load(), p.failures.Load()}
}

// minus is what was fetched between earlier and t.
func (t tally) minus(earlier tally) tally {
	return tally{t.segments - earlier.segments, t.playlists - earlier.playlists, t.failures - earlier.failures}
}

// lastError is the player's latest failure, "" without one.
func (p *player) lastError() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastFailure
}
