package catalog_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// The callers the tests act as.
var (
	admin   = platform.Caller{UserID: "u-admin", Role: platform.RoleAdmin}
	viewer  = platform.Caller{UserID: "u-viewer", Role: platform.RoleViewer}
	viewer2 = platform.Caller{UserID: "u-viewer-2", Role: platform.RoleViewer}
	anon    = platform.Caller{}
)

// tickingClock returns a clock that starts at start and moves one
// millisecond each time it is read, so creation times are distinct.
func tickingClock(start time.Time) platform.Clock {
	var n atomic.Int64
	return func() time.Time { return start.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// testClockStart is where test clocks start; its year bounds release years.
var testClockStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// openState opens an embedded state in dir, closed at the end of the test.
func openState(t *testing.T, dir string) *embedded.State {
	t.Helper()
	st, err := embedded.OpenState(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// newService returns a Service on state publishing to pub, closed at the end
// of the test.
func newService(t *testing.T, state platform.State, pub platform.Publisher) *catalog.Service {
	t.Helper()
	svc, err := catalog.New(context.Background(), catalog.Config{IndexDir: t.TempDir()}, state, pub, tickingClock(testClockStart), nil)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, svc.Close()) })
	return svc
}

// newDirect is the suite's factory for the service called in process.
func newDirect(t *testing.T) catalog.API {
	t.Helper()
	return newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
}

// newWire is the suite's factory for the service called through its HTTP
// handler and the client, over the in-memory invoker.
func newWire(t *testing.T) catalog.API {
	t.Helper()
	inv := embedded.NewInvoker()
	inv.Register(catalog.AppID, catalog.NewHandler(newDirect(t)))
	return catalog.NewClient(inv)
}

// requireKind checks that err has the kind and that its client-visible
// message contains msg.
func requireKind(t *testing.T, err error, kind platform.Kind, msg string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, kind, platform.KindOf(err), "error: %v", err)
	require.Contains(t, platform.PublicMessage(err), msg)
}

var ctx = context.Background()

func mustCategory(t *testing.T, api catalog.API, name string) catalog.Category {
	t.Helper()
	resp, err := api.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: admin, Name: name})
	require.NoError(t, err)
	return resp.Category
}

func mustGenre(t *testing.T, api catalog.API, name string) catalog.Genre {
	t.Helper()
	resp, err := api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: admin, Name: name})
	require.NoError(t, err)
	return resp.Genre
}

func mustCast(t *testing.T, api catalog.API, name string, typ catalog.CastType) catalog.CastMember {
	t.Helper()
	resp, err := api.CreateCastMember(ctx, catalog.CreateCastMemberRequest{Caller: admin, Name: name, Type: typ})
	require.NoError(t, err)
	return resp.CastMember
}

// input returns a valid VideoInput titled title.
func input(title string) catalog.VideoInput {
	return catalog.VideoInput{Title: title, ReleaseYear: 2000, DurationSeconds: 5400, AgeRating: catalog.RatingPG13}
}

// mustVideo creates a video and, when published, publishes it.
func mustVideo(t *testing.T, api catalog.API, in catalog.VideoInput, published bool) catalog.Video {
	t.Helper()
	resp, err := api.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: admin, Input: in})
	require.NoError(t, err)
	if !published {
		return resp.Video
	}
	pub, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: resp.Video.ID, Published: true})
	require.NoError(t, err)
	return pub.Video
}

// ids returns the ids of videos, in order.
func ids(videos []catalog.Video) []string {
	out := make([]string, len(videos))
	for i, v := range videos {
		out[i] = v.ID
	}
	return out
}

// titles returns the titles of videos, in order.
func titles(videos []catalog.Video) []string {
	out := make([]string, len(videos))
	for i, v := range videos {
		out[i] = v.Title
	}
	return out
}

// sortedTitles returns the titles of videos, sorted.
func sortedTitles(videos []catalog.Video) []string {
	return slices.Sorted(slices.Values(titles(videos)))
}
