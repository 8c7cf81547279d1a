package platform_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const leak = "password=hunter2"

func TestKindOf(t *testing.T) {
	notFound := platform.E(platform.KindNotFound, "video not found", errors.New(leak))
	cases := []struct {
		name string
		err  error
		want platform.Kind
	}{
		{"nil", nil, ""},
		{"classified", notFound, platform.KindNotFound},
		{"wrapped", fmt.Errorf("catalog: get: %w", notFound), platform.KindNotFound},
		{"outermost wins", platform.E(platform.KindConflict, "retry", notFound), platform.KindConflict},
		{"errorf", platform.Errorf(platform.KindInvalid, "bad year %d", 3000), platform.KindInvalid},
		{"cancelled", fmt.Errorf("query: %w", context.Canceled), platform.KindUnavailable},
		{"deadline", context.DeadlineExceeded, platform.KindUnavailable},
		{"unclassified", errors.New(leak), platform.KindInternal},
		{"dropped classified", platform.Drop(notFound), platform.KindNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, platform.KindOf(tc.err))
			assert.Equal(t, tc.want != "", platform.Is(tc.err, tc.want))
		})
	}
	assert.False(t, platform.Is(nil, platform.KindInternal))
}

func TestPublicMessageNeverLeaks(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"classified", platform.E(platform.KindNotFound, "video not found", errors.New(leak)), "video not found"},
		{"wrapped", fmt.Errorf("db %s: %w", leak, platform.E(platform.KindConflict, "email taken", nil)), "email taken"},
		{"internal kind", platform.E(platform.KindInternal, "query "+leak, nil), "internal error"},
		{"unclassified", errors.New(leak), "internal error"},
		{"wrapped unclassified", fmt.Errorf("get: %w", errors.New(leak)), "internal error"},
		{"cancelled", fmt.Errorf("dial %s: %w", leak, context.Canceled), "service unavailable, try again"},
		{"errorf keeps its text", platform.Errorf(platform.KindInvalid, "year %d out of range", 3000), "year 3000 out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, platform.PublicMessage(tc.err))
		})
	}
}

func TestErrorTextAndUnwrap(t *testing.T) {
	cause := errors.New("disk full")
	err := platform.E(platform.KindUnavailable, "try later", cause)
	assert.Equal(t, "try later: disk full", err.Error(), "the log text keeps the cause")
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "try later", platform.E(platform.KindUnavailable, "try later", nil).Error())

	wrapped := platform.Errorf(platform.KindInvalid, "parse %q: %w", "x", cause)
	assert.ErrorIs(t, wrapped, cause)
	var e *platform.Error
	require.ErrorAs(t, wrapped, &e)
	assert.Equal(t, `parse "x": disk full`, e.Message)
}

func TestHTTPStatusRoundtrip(t *testing.T) {
	kinds := []platform.Kind{
		platform.KindInvalid, platform.KindNotFound, platform.KindConflict, platform.KindUnauthenticated,
		platform.KindForbidden, platform.KindUnavailable, platform.KindInternal, platform.KindRateLimited,
	}
	seen := map[int]bool{}
	for _, k := range kinds {
		status := platform.HTTPStatus(k)
		assert.False(t, seen[status], "status %d used twice", status)
		seen[status] = true
		assert.Equal(t, k, platform.KindFromStatus(status))
	}
	assert.Equal(t, http.StatusInternalServerError, platform.HTTPStatus("teapot"))
}

func TestKindFromUnmappedStatus(t *testing.T) {
	cases := []struct {
		status int
		want   platform.Kind
	}{
		{http.StatusTeapot, platform.KindInvalid},
		{http.StatusMethodNotAllowed, platform.KindInvalid},
		{http.StatusRequestEntityTooLarge, platform.KindInvalid},
		{http.StatusBadGateway, platform.KindUnavailable},
		{http.StatusGatewayTimeout, platform.KindUnavailable},
		{http.StatusNotImplemented, platform.KindInternal},
		{http.StatusFound, platform.KindInternal},
	}
	for _, tc := range cases {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			assert.Equal(t, tc.want, platform.KindFromStatus(tc.status))
		})
	}
}

func TestCallerRequirements(t *testing.T) {
	cases := []struct {
		name        string
		caller      platform.Caller
		user, admin platform.Kind
	}{
		{"anonymous", platform.Caller{}, platform.KindUnauthenticated, platform.KindUnauthenticated},
		{"viewer", platform.Caller{UserID: "u1", Role: platform.RoleViewer}, "", platform.KindForbidden},
		{"admin", platform.Caller{UserID: "u2", Role: platform.RoleAdmin}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.user, platform.KindOf(tc.caller.RequireUser()))
			assert.Equal(t, tc.admin, platform.KindOf(tc.caller.RequireAdmin()))
		})
	}
}
