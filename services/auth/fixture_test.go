package auth

import (
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// fastArgon2 keeps hashing cheap in tests; production uses the defaults.
var fastArgon2 = Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// testClock is a platform.Clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2030, 1, 2, 3, 4, 5, 600_000_000, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is what a test can reach behind the API under test.
type fixture struct {
	svc   *Service
	state *embedded.State
	path  string
	pub   *platformtest.Recorder
	clock *testClock
}

// newFixture opens a state in a temp dir and a Service over it.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "auth.db")
	state, err := embedded.OpenState(path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	f := &fixture{state: state, path: path, pub: &platformtest.Recorder{}, clock: newTestClock()}
	f.svc = f.newService(t, state)
	return f
}

// newService returns another Service (a replica) on the state.
func (f *fixture) newService(t *testing.T, state platform.State) *Service {
	t.Helper()
	svc, err := New(Config{Argon2: fastArgon2}, state, f.pub, f.clock.Now, nil)
	require.NoError(t, err)
	return svc
}

// direct is the service itself.
func direct(t *testing.T) (API, *fixture) {
	t.Helper()
	f := newFixture(t)
	return f.svc, f
}

// wire is the service behind NewHandler, an in-memory invoker and Client.
func wire(t *testing.T) (API, *fixture) {
	t.Helper()
	f := newFixture(t)
	inv := embedded.NewInvoker()
	inv.Register(AppID, NewHandler(f.svc))
	return NewClient(inv), f
}

// requireKind checks an error's kind and, unless msg is empty, its public
// message: the same on both sides of the wire.
func requireKind(t *testing.T, err error, kind platform.Kind, msg string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, kind, platform.KindOf(err), "error: %v", err)
	if msg != "" {
		require.Equal(t, msg, platform.PublicMessage(err))
	}
}

const testPassword = "correct horse battery"

// register creates a viewer and returns its session.
func register(t *testing.T, api API, email string) Session {
	t.Helper()
	resp, err := api.Register(t.Context(), RegisterRequest{Email: email, Password: testPassword, DisplayName: "User " + email})
	require.NoError(t, err)
	return resp.Session
}

// admin bootstraps an admin and returns it as a caller.
func admin(t *testing.T, api API) platform.Caller {
	t.Helper()
	resp, err := api.EnsureAdmin(t.Context(), EnsureAdminRequest{Email: "root@dflix.test", Password: testPassword})
	require.NoError(t, err)
	return platform.Caller{UserID: resp.User.ID, Role: platform.RoleAdmin}
}

func callerOf(s Session) platform.Caller {
	return platform.Caller{UserID: s.User.ID, Role: s.User.Role}
}

// decodeEvent decodes an event payload.
func decodeEvent[T any](t *testing.T, ev platform.Event) T {
	t.Helper()
	var v T
	require.NoError(t, ev.Decode(&v))
	require.Equal(t, Source, ev.Source)
	require.Equal(t, Topic, ev.Topic)
	require.NotEmpty(t, ev.ID)
	return v
}

// keySet parses a JWKS response as a verifier would.
func keySet(t *testing.T, resp JWKSResponse) jwk.Set {
	t.Helper()
	doc, err := json.Marshal(resp)
	require.NoError(t, err)
	set, err := jwk.Parse(doc)
	require.NoError(t, err)
	return set
}

// verify checks an access token against the JWKS at the given time.
func verify(t *testing.T, set jwk.Set, token string, at time.Time) (jwt.Token, error) {
	t.Helper()
	return jwt.ParseString(token,
		jwt.WithKeySet(set),
		jwt.WithValidate(true),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return at })),
	)
}
