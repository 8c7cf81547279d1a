package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

const limitedMsg = "too many failed sign-in attempts; try again in 15 minutes"

// limitedService is a Service on f's state and clock with the given limits.
func limitedService(t *testing.T, f *fixture, state platform.State, account, ip LoginLimit) *Service {
	t.Helper()
	svc, err := New(Config{Argon2: fastArgon2, AccountLimit: account, IPLimit: ip}, state, f.pub, f.clock.Now, nil)
	require.NoError(t, err)
	return svc
}

func login(api API, email, password, ip string) error {
	_, err := api.Login(context.Background(), LoginRequest{Email: email, Password: password, ClientIP: ip})
	return err
}

// failN makes n failed sign-ins of email, each from its own address.
func failN(t *testing.T, api API, email string, n int) {
	t.Helper()
	for i := range n {
		err := login(api, email, "wrong password", fmt.Sprintf("198.51.100.%d", i+1))
		requireKind(t, err, platform.KindUnauthenticated, "invalid email or password")
	}
}

func TestLoginRateLimitPerAccount(t *testing.T) {
	tests := []struct {
		name  string
		email string // the address attacked; "a@x.io" exists
	}{
		{"existing account", "a@x.io"},
		{"existing account, other spelling", " A@X.io "},
		{"unknown account", "nobody@x.io"},
		{"malformed email", "not an email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			register(t, f.svc, "a@x.io")
			failN(t, f.svc, tt.email, DefaultAccountLimit.Max)

			err := login(f.svc, tt.email, testPassword, "203.0.113.1")
			requireKind(t, err, platform.KindRateLimited, limitedMsg)
			f.clock.Advance(5 * time.Minute)
			err = login(f.svc, tt.email, "wrong password", "203.0.113.2")
			requireKind(t, err, platform.KindRateLimited, "too many failed sign-in attempts; try again in 10 minutes")
			requireKind(t, login(f.svc, "b@x.io", "wrong password", "203.0.113.1"), platform.KindUnauthenticated, "")

			// Refused attempts do not extend the window: it ends 15 minutes
			// after the first failure, whatever happened meanwhile.
			f.clock.Advance(10 * time.Minute)
			if tt.email != "nobody@x.io" && tt.email != "not an email" {
				require.NoError(t, login(f.svc, tt.email, testPassword, "203.0.113.1"))
			} else {
				requireKind(t, login(f.svc, tt.email, testPassword, "203.0.113.1"), platform.KindUnauthenticated, "invalid email or password")
			}
		})
	}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	f := newFixture(t)
	svc := limitedService(t, f, f.state, LoginLimit{}, LoginLimit{Max: 5})
	register(t, svc, "victim@x.io")
	const attacker = "2001:db8:1:2::10"
	for i := range 5 {
		requireKind(t, login(svc, fmt.Sprintf("user%d@x.io", i), "guess", attacker), platform.KindUnauthenticated, "")
	}
	requireKind(t, login(svc, "victim@x.io", testPassword, attacker), platform.KindRateLimited, limitedMsg)
	// One IPv6 /64 is one address.
	requireKind(t, login(svc, "victim@x.io", testPassword, "2001:db8:1:2::99"), platform.KindRateLimited, limitedMsg)
	require.NoError(t, login(svc, "victim@x.io", testPassword, "2001:db8:1:3::10"), "another address signs in")
	require.NoError(t, login(svc, "victim@x.io", testPassword, ""), "a service calling without an address is limited per account only")
	_, err := svc.Register(t.Context(), RegisterRequest{Email: "new@x.io", Password: testPassword, DisplayName: "N", ClientIP: attacker})
	requireKind(t, err, platform.KindRateLimited, limitedMsg)

	f.clock.Advance(DefaultIPLimit.Window)
	require.NoError(t, login(svc, "victim@x.io", testPassword, attacker), "the window has passed")
}

func TestLoginSuccessClearsAccountCount(t *testing.T) {
	f := newFixture(t)
	register(t, f.svc, "typo@x.io")
	max := DefaultAccountLimit.Max
	failN(t, f.svc, "typo@x.io", max-1)
	require.NoError(t, login(f.svc, "typo@x.io", testPassword, "203.0.113.7"))
	failN(t, f.svc, "typo@x.io", max-1)
	require.NoError(t, login(f.svc, "typo@x.io", testPassword, "203.0.113.7"), "the success cleared the earlier failures")

	// The address count is not cleared by a success: an address with one
	// valid account could otherwise reset its guessing at others.
	svc := limitedService(t, f, f.state, LoginLimit{}, LoginLimit{Max: 3})
	for range 2 {
		requireKind(t, login(svc, "other@x.io", "guess", "192.0.2.1"), platform.KindUnauthenticated, "")
	}
	require.NoError(t, login(svc, "typo@x.io", testPassword, "192.0.2.1"))
	requireKind(t, login(svc, "other@x.io", "guess", "192.0.2.1"), platform.KindUnauthenticated, "")
	requireKind(t, login(svc, "typo@x.io", testPassword, "192.0.2.1"), platform.KindRateLimited, limitedMsg)
}

func TestLoginLimitSharedAndDurable(t *testing.T) {
	f := newFixture(t)
	register(t, f.svc, "shared@x.io")
	replica := f.newService(t, f.state)
	half := DefaultAccountLimit.Max / 2
	failN(t, f.svc, "shared@x.io", half)
	failN(t, replica, "shared@x.io", DefaultAccountLimit.Max-half)
	requireKind(t, login(f.svc, "shared@x.io", testPassword, ""), platform.KindRateLimited, limitedMsg)

	// A restart: the store is closed and opened again by a new Service.
	require.NoError(t, f.state.Close())
	state, err := embedded.OpenState(f.path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	restarted := f.newService(t, state)
	requireKind(t, login(restarted, "shared@x.io", testPassword, ""), platform.KindRateLimited, limitedMsg)
}

func TestLoginLimitConcurrentFailuresAllCount(t *testing.T) {
	f := newFixture(t)
	const n = 8
	svc := limitedService(t, f, f.state, LoginLimit{Max: n}, LoginLimit{Max: -1})
	register(t, svc, "busy@x.io")
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			assert.Equal(t, platform.KindUnauthenticated, platform.KindOf(login(svc, "busy@x.io", fmt.Sprint("guess ", i), "")))
		})
	}
	wg.Wait()
	requireKind(t, login(svc, "busy@x.io", testPassword, ""), platform.KindRateLimited, limitedMsg)
}

// brokenCounters fails every read and write of the login counters.
type brokenCounters struct {
	platform.State
}

var errStoreDown = platform.E(platform.KindUnavailable, "store down", errors.New("connection refused"))

func (b brokenCounters) BulkGet(ctx context.Context, keys []string) ([]platform.Item, error) {
	if strings.HasPrefix(keys[0], "attempts/") {
		return nil, errStoreDown
	}
	return b.State.BulkGet(ctx, keys)
}

func (b brokenCounters) Transact(ctx context.Context, ops []platform.Op) error {
	for _, op := range ops {
		if strings.HasPrefix(op.Key, "attempts/") {
			return errStoreDown
		}
	}
	return b.State.Transact(ctx, ops)
}

func TestLoginLimitStoreFailureNeverBlocks(t *testing.T) {
	f := newFixture(t)
	register(t, f.svc, "ok@x.io")
	svc := limitedService(t, f, brokenCounters{f.state}, LoginLimit{}, LoginLimit{})
	for range DefaultAccountLimit.Max + 1 {
		requireKind(t, login(svc, "ok@x.io", "wrong password", "192.0.2.5"), platform.KindUnauthenticated, "invalid email or password")
	}
	require.NoError(t, login(svc, "ok@x.io", testPassword, "192.0.2.5"), "a counter that cannot be kept never refuses a correct password")
}

func TestRegisterTakenEmailCountsPerAddress(t *testing.T) {
	f := newFixture(t)
	svc := limitedService(t, f, f.state, LoginLimit{}, LoginLimit{Max: 2})
	register(t, svc, "taken@x.io")
	reg := func(email, ip string) error {
		_, err := svc.Register(t.Context(), RegisterRequest{Email: email, Password: testPassword, DisplayName: "P", ClientIP: ip})
		return err
	}
	require.NoError(t, reg("fresh1@x.io", "192.0.2.9"), "a successful registration is no failure")
	requireKind(t, reg("taken@x.io", "192.0.2.9"), platform.KindConflict, "email already registered")
	requireKind(t, reg("taken@x.io", "192.0.2.9"), platform.KindConflict, "email already registered")
	requireKind(t, reg("fresh2@x.io", "192.0.2.9"), platform.KindRateLimited, limitedMsg)
	// Sign-ins share the address's count.
	requireKind(t, login(svc, "taken@x.io", testPassword, "192.0.2.9"), platform.KindRateLimited, limitedMsg)
	require.NoError(t, reg("fresh2@x.io", "192.0.2.10"))
}

func TestRateLimitedMessage(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want string
	}{
		{time.Second, "try again in 1 minute"},
		{time.Minute, "try again in 1 minute"},
		{time.Minute + time.Second, "try again in 2 minutes"},
		{15 * time.Minute, "try again in 15 minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.wait.String(), func(t *testing.T) {
			err := rateLimited(tt.wait)
			assert.Equal(t, platform.KindRateLimited, platform.KindOf(err))
			assert.Equal(t, "too many failed sign-in attempts; "+tt.want, platform.PublicMessage(err))
		})
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" 192.0.2.1 ", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "raw:not-an-ip"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) { assert.Equal(t, tt.want, ipKey(tt.in)) })
	}
}
