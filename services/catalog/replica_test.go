package catalog_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// snapshot is what a replica answers to a fixed set of reads.
type snapshot struct {
	Lists    []catalog.VideoPage
	Searches []catalog.SearchResponse
	Cats     []catalog.Category
	Cast     []catalog.CastMember
}

// takeSnapshot reads the snapshot; t may be a test or, while polling, an
// assert.CollectT.
func takeSnapshot(t require.TestingT, api catalog.API) snapshot {
	var s snapshot
	for _, o := range []catalog.VideoOrder{{}, {Field: catalog.OrderTitle}, {Field: catalog.OrderReleaseYear, Descending: true}} {
		for _, c := range []platform.Caller{viewer, admin} {
			resp, err := api.ListVideos(ctx, catalog.ListVideosRequest{Caller: c, Order: o, Page: catalog.Page{First: catalog.MaxPageSize}})
			require.NoError(t, err)
			s.Lists = append(s.Lists, resp.Page)
		}
	}
	for _, q := range []string{"space", "runing", "galax", "ana", "night city"} {
		resp, err := api.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: q, Page: catalog.Page{First: catalog.MaxPageSize}})
		require.NoError(t, err)
		s.Searches = append(s.Searches, resp)
	}
	cats, err := api.ListCategories(ctx, catalog.ListCategoriesRequest{})
	require.NoError(t, err)
	cast, err := api.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
	require.NoError(t, err)
	s.Cats, s.Cast = cats.Categories, cast.CastMembers
	return s
}

// fillCatalog writes a small varied catalog through api.
func fillCatalog(t *testing.T, api catalog.API) {
	t.Helper()
	c := mustCategory(t, api, "Movies")
	g := mustGenre(t, api, "Sci-Fi")
	ana := mustCast(t, api, "Ana Space", catalog.CastActor)
	for i := range 12 {
		in := input(fmt.Sprintf("Galaxy Runner %d", i))
		in.Description = "Running through space at night in the city"
		in.ReleaseYear = 2000 + i%3
		in.CategoryIDs, in.GenreIDs = []string{c.ID}, []string{g.ID}
		if i%2 == 0 {
			in.CastIDs = []string{ana.ID}
		}
		mustVideo(t, api, in, i%4 != 3)
	}
}

func TestRestartRebuildsProjectionAndIndex(t *testing.T) {
	dir := t.TempDir()
	state, err := embedded.OpenState(filepath.Join(dir, "catalog.db"))
	require.NoError(t, err)
	svc, err := catalog.New(ctx, catalog.Config{IndexDir: t.TempDir()}, state, &platformtest.Recorder{}, tickingClock(testClockStart), nil)
	require.NoError(t, err)
	fillCatalog(t, svc)
	before := takeSnapshot(t, svc)
	require.NoError(t, svc.Close())
	require.NoError(t, state.Close())

	restarted := newService(t, openState(t, dir), &platformtest.Recorder{})
	assert.Equal(t, before, takeSnapshot(t, restarted))
	assert.NotEmpty(t, before.Searches[0].Page.Videos)
}

func TestReplicaConvergesThroughTheBus(t *testing.T) {
	dir := t.TempDir()
	state := openState(t, dir)
	bus, err := embedded.OpenBus(filepath.Join(dir, "bus.db"), embedded.BusOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bus.Close() })
	primary := newService(t, state, bus)
	replica := newService(t, state, bus)
	for i, svc := range []*catalog.Service{primary, replica} {
		for _, sub := range svc.Subscriptions() {
			sub.Name = fmt.Sprintf("%s-%d", sub.Name, i) // one bus stands for every replica's own queue
			require.NoError(t, bus.Subscribe(ctx, sub))
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	require.NoError(t, bus.Start(runCtx))

	converged := func(msg string) {
		t.Helper()
		want := takeSnapshot(t, primary)
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			assert.Equal(c, want, takeSnapshot(c, replica))
		}, 10*time.Second, 20*time.Millisecond, msg)
	}
	fillCatalog(t, primary)
	converged("after creating the catalog")

	cast, err := primary.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
	require.NoError(t, err)
	_, err = primary.UpdateCastMember(ctx, catalog.UpdateCastMemberRequest{Caller: admin, ID: cast.CastMembers[0].ID, Name: ptr("Bea Night")})
	require.NoError(t, err)
	found, err := primary.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "bea"})
	require.NoError(t, err)
	assert.NotEmpty(t, found.Page.Videos, "the writer reads its own rename at once")
	converged("after a cast rename")
	found, err = replica.Search(ctx, catalog.SearchRequest{Caller: viewer, Query: "bea"})
	require.NoError(t, err)
	assert.NotEmpty(t, found.Page.Videos, "the replica indexed the new cast name")

	list, err := primary.ListVideos(ctx, catalog.ListVideosRequest{Caller: admin, Page: catalog.Page{First: 2}})
	require.NoError(t, err)
	_, err = primary.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: admin, ID: list.Page.Videos[0].ID})
	require.NoError(t, err)
	cats, err := primary.ListCategories(ctx, catalog.ListCategoriesRequest{})
	require.NoError(t, err)
	_, err = primary.DeleteCategory(ctx, catalog.DeleteCategoryRequest{Caller: admin, ID: cats.Categories[0].ID})
	require.NoError(t, err)
	converged("after deletions")

	// And the other way round: a write on the replica reaches the primary.
	v := mustVideo(t, replica, input("Written on the replica"), true)
	require.Eventually(t, func() bool {
		_, err := primary.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: v.ID})
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	dead, err := bus.ListDeadLetters(ctx)
	require.NoError(t, err)
	assert.Empty(t, dead)
}

func TestWireParity(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	inv := embedded.NewInvoker()
	inv.Register(catalog.AppID, catalog.NewHandler(svc))
	client := catalog.NewClient(inv)
	fillCatalog(t, svc)
	assert.Equal(t, takeSnapshot(t, svc), takeSnapshot(t, client))

	calls := []func(api catalog.API) (any, error){
		func(api catalog.API) (any, error) {
			return api.GetVideo(ctx, catalog.GetVideoRequest{Caller: viewer, ID: "bad"})
		},
		func(api catalog.API) (any, error) {
			return api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: viewer, Name: "x"})
		},
		func(api catalog.API) (any, error) {
			return api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: admin, Name: "sci-fi"})
		},
		func(api catalog.API) (any, error) {
			return api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: admin, Name: "galaxy runner 1"})
		},
		func(api catalog.API) (any, error) {
			return api.UserTags(ctx, catalog.UserTagsRequest{Caller: viewer})
		},
	}
	for i, call := range calls {
		direct, derr := call(svc)
		wire, werr := call(client)
		assert.Equal(t, direct, wire, "call %d", i)
		assert.Equal(t, platform.KindOf(derr), platform.KindOf(werr), "call %d", i)
		assert.Equal(t, platform.PublicMessage(derr), platform.PublicMessage(werr), "call %d", i)
	}
}
