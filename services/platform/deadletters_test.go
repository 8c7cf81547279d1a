package platform_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoryDeadLetters is a DeadLetters over a slice, for these tests only.
type memoryDeadLetters struct {
	letters  []platform.DeadLetter
	redriven []string
}

func (m *memoryDeadLetters) ListDeadLetters(context.Context) ([]platform.DeadLetter, error) {
	return m.letters, nil
}

func (m *memoryDeadLetters) Redrive(_ context.Context, id string) error {
	for i, d := range m.letters {
		if d.ID == id {
			m.letters = append(m.letters[:i], m.letters[i+1:]...)
			m.redriven = append(m.redriven, id)
			return nil
		}
	}
	return platform.Errorf(platform.KindNotFound, "dead letter %q not found", id)
}

// directInvoker calls handlers in memory by app name.
type directInvoker map[string]http.Handler

func (d directInvoker) Invoke(ctx context.Context, app, method string, body []byte) ([]byte, error) {
	h, ok := d[app]
	if !ok {
		return nil, platform.Errorf(platform.KindUnavailable, "no app %s", app)
	}
	return muxInvoker{h: h}.Invoke(ctx, app, method, body)
}

func TestFederatedDeadLettersOverTheWire(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	catalog := &memoryDeadLetters{letters: []platform.DeadLetter{{ID: "a1", Subscription: "catalog-projection", FailedAt: t0}}}
	bff := &memoryDeadLetters{letters: []platform.DeadLetter{{ID: "b1", Subscription: "bff-cache", FailedAt: t0.Add(time.Minute)}}}
	mux := http.NewServeMux()
	platform.DeadLetterRoutes(mux, catalog)
	inv := directInvoker{"catalog": mux}

	fed := platform.FederatedDeadLetters{"catalog": platform.NewRemoteDeadLetters(inv, "catalog"), "bff": bff}
	list, err := fed.ListDeadLetters(t.Context())
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "bff/b1", list[0].ID, "newest first")
	assert.Equal(t, "catalog/a1", list[1].ID)

	require.NoError(t, fed.Redrive(t.Context(), "catalog/a1"))
	assert.Equal(t, []string{"a1"}, catalog.redriven)

	for _, id := range []string{"catalog/a1", "nobody/x", "noslash", "catalog/"} {
		err := fed.Redrive(t.Context(), id)
		assert.Equal(t, platform.KindNotFound, platform.KindOf(err), id)
	}

	broken := platform.FederatedDeadLetters{"auth": platform.NewRemoteDeadLetters(inv, "auth")}
	_, err = broken.ListDeadLetters(t.Context())
	assert.Equal(t, platform.KindUnavailable, platform.KindOf(err), "an unreachable app fails the list")
}
