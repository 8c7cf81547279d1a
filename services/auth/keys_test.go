package auth

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

func TestSigningKeySurvivesRestart(t *testing.T) {
	f := newFixture(t)
	s := register(t, f.svc, "restart@example.com")
	before, err := f.svc.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	require.NoError(t, f.state.Close())

	state, err := embedded.OpenState(f.path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = state.Close() })
	restarted := f.newService(t, state)
	after, err := restarted.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	assert.JSONEq(t, string(before.Keys), string(after.Keys))
	_, err = verify(t, keySet(t, after), s.AccessToken, f.clock.Now())
	require.NoError(t, err, "a token issued before the restart verifies after it")

	r, err := restarted.Refresh(t.Context(), RefreshRequest{RefreshToken: s.RefreshToken})
	require.NoError(t, err, "and so does the refresh token")
	_, err = verify(t, keySet(t, after), r.Session.AccessToken, f.clock.Now())
	require.NoError(t, err)
}

func TestReplicasAgreeOnTheFirstKey(t *testing.T) {
	f := newFixture(t)
	replicas := make([]*Service, 8)
	for i := range replicas {
		replicas[i] = f.newService(t, f.state)
	}
	tokens := make([]string, len(replicas))
	var wg sync.WaitGroup
	for i, svc := range replicas {
		wg.Go(func() {
			u := userRecord{ID: fmt.Sprintf("u%d", i), Role: platform.RoleViewer}
			tok, _, err := svc.signAccessToken(t.Context(), u, f.clock.Now())
			assert.NoError(t, err)
			tokens[i] = tok
		})
	}
	wg.Wait()
	resp, err := f.svc.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	set := keySet(t, resp)
	require.Equal(t, 1, set.Len(), "one key, whoever won the race")
	for _, tok := range tokens {
		_, err := verify(t, set, tok, f.clock.Now())
		require.NoError(t, err)
	}
}

func TestRotateKey(t *testing.T) {
	f := newFixture(t)
	replica := f.newService(t, f.state)
	old := register(t, f.svc, "rotate@example.com")

	admin := platform.Caller{UserID: "admin-1", Role: platform.RoleAdmin}
	for _, c := range []platform.Caller{{}, {UserID: old.User.ID, Role: platform.RoleViewer}} {
		_, err := f.svc.RotateKey(t.Context(), RotateKeyRequest{Caller: c})
		require.Error(t, err, "only admins rotate")
	}
	rotated, err := f.svc.RotateKey(t.Context(), RotateKeyRequest{Caller: admin})
	require.NoError(t, err)
	kid := rotated.KID
	assert.Len(t, rotated.Published, 2, "the previous key stays published")
	assert.Equal(t, kid, rotated.Published[1], "oldest first")
	assert.Equal(t, f.clock.Now().Add(30*time.Second), rotated.ActiveAt, "published now, signing after the activation delay")
	early, err := f.svc.Login(t.Context(), LoginRequest{Email: "rotate@example.com", Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, headerKID(t, old.AccessToken), headerKID(t, early.Session.AccessToken), "the old key signs until the new one is active")

	f.clock.Advance(30 * time.Second)
	fresh, err := f.svc.Login(t.Context(), LoginRequest{Email: "rotate@example.com", Password: testPassword})
	require.NoError(t, err)
	assert.Equal(t, kid, headerKID(t, fresh.Session.AccessToken), "the new key signs once active where it was rotated")

	resp, err := replica.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	set := keySet(t, resp)
	assert.Equal(t, 2, set.Len(), "another replica publishes both keys at once")
	for _, tok := range []string{old.AccessToken, fresh.Session.AccessToken} {
		_, err := verify(t, set, tok, f.clock.Now())
		require.NoError(t, err)
	}

	f.clock.Advance(time.Minute) // the replica's key cache expires too
	r, err := replica.Refresh(t.Context(), RefreshRequest{RefreshToken: old.RefreshToken})
	require.NoError(t, err)
	assert.Equal(t, kid, headerKID(t, r.Session.AccessToken), "the replica switches within KeyCacheTTL")

	for range 3 {
		_, err = f.svc.RotateKey(t.Context(), RotateKeyRequest{Caller: admin})
		require.NoError(t, err)
	}
	resp, err = f.svc.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	assert.Equal(t, 3, keySet(t, resp).Len(), "MaxKeys keeps the newest three")
}

func headerKID(t *testing.T, token string) string {
	t.Helper()
	msg, err := jws.ParseString(token)
	require.NoError(t, err)
	require.Len(t, msg.Signatures(), 1)
	return msg.Signatures()[0].ProtectedHeaders().KeyID()
}

func TestAccessTokensExpireWithTheClock(t *testing.T) {
	f := newFixture(t)
	s := register(t, f.svc, "clock@example.com")
	resp, err := f.svc.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	set := keySet(t, resp)
	_, err = verify(t, set, s.AccessToken, s.ExpiresAt.Add(-time.Second))
	require.NoError(t, err)
	_, err = verify(t, set, s.AccessToken, s.ExpiresAt.Add(time.Second))
	require.Error(t, err)

	f.clock.Advance(AccessTokenTTL + time.Minute)
	r, err := f.svc.Refresh(t.Context(), RefreshRequest{RefreshToken: s.RefreshToken})
	require.NoError(t, err, "a refresh token outlives the access token")
	_, err = verify(t, set, r.Session.AccessToken, f.clock.Now())
	require.NoError(t, err)
}

type racingState struct {
	platform.State
	once   sync.Once
	onMiss func()
}

func (r *racingState) Get(ctx context.Context, key string) (platform.Item, error) {
	it, err := r.State.Get(ctx, key)
	if key == keyRingKey && platform.Is(err, platform.KindNotFound) {
		r.once.Do(r.onMiss)
	}
	return it, err
}

func TestLoserOfTheFirstKeyRaceUsesTheWinnersKey(t *testing.T) {
	f := newFixture(t)
	winner := f.newService(t, f.state)
	var winnerKeys JWKSResponse
	racing := &racingState{State: f.state, onMiss: func() {
		var err error
		winnerKeys, err = winner.JWKS(t.Context(), JWKSRequest{})
		require.NoError(t, err)
	}}
	loser := f.newService(t, racing)
	u := userRecord{ID: "u1", Role: platform.RoleViewer}
	tok, _, err := loser.signAccessToken(t.Context(), u, f.clock.Now())
	require.NoError(t, err)
	require.NotEmpty(t, winnerKeys.Keys, "the other replica created a key in between")

	loserKeys, err := loser.JWKS(t.Context(), JWKSRequest{})
	require.NoError(t, err)
	assert.JSONEq(t, string(winnerKeys.Keys), string(loserKeys.Keys))
	_, err = verify(t, keySet(t, winnerKeys), tok, f.clock.Now())
	require.NoError(t, err, "the loser signs with the winner's key")
}
