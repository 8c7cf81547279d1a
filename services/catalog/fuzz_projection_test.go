package catalog

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// projectionTypes are the types a fuzzed catalog event gets, picked by a
// byte.
var projectionTypes = []string{EventVideoChanged, EventVideoDeleted, EventTaxonomyChanged, EventTagsChanged, "video.archived"}

// projected is what a replica's projection holds of one video.
type projected struct {
	video Video
	found bool
	tomb  int64
}

func (w *fuzzWorld) projected(id string) projected {
	p := w.svc.proj
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := projected{tomb: p.tombstones[id]}
	if e, ok := p.videos[id]; ok {
		out.video, out.found = cloneVideo(e.v), true
	}
	for i := range p.orders {
		if len(p.orders[i]) != len(p.videos) {
			panic("a browse order lost track of the projected videos")
		}
	}
	return out
}

// FuzzProjectionEvent feeds a replica's projection two arbitrary events of
// catalog's own topic about a fresh video (@V) and a category (@C), then
// both again. Applying an event never writes the state nor publishes; a
// payload that does not decode, names a video or taxonomy id that is not a
// canonical UUID (as catalog writes them), or an unknown taxonomy kind is
// dropped to the dead letters; a video.changed
// of @V replaces it only at a version above both the projected one and
// its tombstone, a video.deleted removes it only at a version above the
// projected one, and an event about an id the state does not hold never
// makes a video appear. Duplicates and late events change nothing.
func FuzzProjectionEvent(f *testing.F) {
	w := newFuzzWorld(f)
	changed := func(v Video) []byte { return platformtest.SeedJSON(f, VideoChanged{Video: v}) }
	for _, seed := range []struct {
		p1 uint8
		d1 []byte
		p2 uint8
		d2 []byte
	}{
		{0, changed(Video{ID: "@V", Title: "Renamed", Version: 9, Published: true}), 1, platformtest.SeedJSON(f, VideoDeleted{VideoID: "@V", Version: 5})},
		{1, platformtest.SeedJSON(f, VideoDeleted{VideoID: "@V", Version: 10}), 0, changed(Video{ID: "@V", Title: "Back", Version: 10})},
		{1, platformtest.SeedJSON(f, VideoDeleted{VideoID: "@V", Version: 10}), 0, changed(Video{ID: "@V", Title: "After", Version: 11})},
		{0, changed(Video{ID: "@V", Version: 1, Title: "Stale"}), 0, changed(Video{ID: "@W", Version: 50})},
		{0, changed(Video{ID: "5a3f6b4d-2e1c-4d7f-8b0a-0c9d1e2f3a4b", Version: 2, Published: true}), 1, platformtest.SeedJSON(f, VideoDeleted{VideoID: "", Version: 3})},
		{2, platformtest.SeedJSON(f, TaxonomyChanged{Kind: "category", ID: "@C"}), 2, platformtest.SeedJSON(f, TaxonomyChanged{Kind: "genre", ID: "5a3f6b4d-2e1c-4d7f-8b0a-0c9d1e2f3a4b", Deleted: true})},
		{2, platformtest.SeedJSON(f, TaxonomyChanged{Kind: "studio", ID: "@C"}), 3, platformtest.SeedJSON(f, TagsChanged{UserID: "u", VideoID: "@V", Tags: []string{"x"}})},
		{0, changed(Video{ID: "not-an-id"}), 2, platformtest.SeedJSON(f, TaxonomyChanged{Kind: "cast", ID: "x"})},
		{0, []byte(`{"video":[]}`), 1, []byte(`{`)},
		{4, []byte(`null`), 0, []byte(`null`)},
	} {
		f.Add(seed.p1, seed.d1, seed.p2, seed.d2)
	}
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, pick1 uint8, data1 []byte, pick2 uint8, data2 []byte) {
		v, _, data := w.fresh(t, data1, data2)
		var evs []platform.Event
		for i, pick := range []uint8{pick1, pick2} {
			typ := projectionTypes[int(pick)%len(projectionTypes)]
			evs = append(evs, platform.Event{ID: "e-" + string(rune('1'+i)), Type: typ, Source: Source, Topic: Topic, Time: t0, Data: data[i]})
		}
		writes, published := w.state.Writes(), len(w.pub.Events())
		for _, ev := range evs {
			w.checkProjection(t, v.ID, ev)
		}
		after, cats := w.projected(v.ID), w.categories(t)
		for _, ev := range evs {
			requireDroppedOrNil(t, w.svc.handleCatalogEvent(context.Background(), ev))
		}
		require.Equal(t, after, w.projected(v.ID), "a duplicate or late event moved the video")
		require.Equal(t, cats, w.categories(t))
		require.Equal(t, writes, w.state.Writes(), "applying an event wrote the state")
		require.Len(t, w.pub.Events(), published, "applying an event published")
	})
}

func (w *fuzzWorld) categories(t *testing.T) []Category {
	t.Helper()
	resp, err := w.svc.ListCategories(context.Background(), ListCategoriesRequest{})
	require.NoError(t, err)
	return resp.Categories
}

// checkProjection applies ev and checks what it did to the video id.
func (w *fuzzWorld) checkProjection(t *testing.T, id string, ev platform.Event) {
	t.Helper()
	before, cats := w.projected(id), w.categories(t)
	err := w.svc.handleCatalogEvent(context.Background(), ev)
	after := w.projected(id)
	var p struct {
		Video   *Video `json:"video"`
		VideoID string `json:"videoId"`
		Version int64  `json:"version"`
		Kind    string `json:"kind"`
		ID      string `json:"id"`
	}
	var decoded error
	switch ev.Type {
	case EventVideoChanged:
		decoded = json.Unmarshal(ev.Data, &VideoChanged{})
	case EventVideoDeleted:
		decoded = json.Unmarshal(ev.Data, &VideoDeleted{})
	case EventTaxonomyChanged:
		decoded = json.Unmarshal(ev.Data, &TaxonomyChanged{})
	default:
		require.NoError(t, err)
		require.Equal(t, before, after)
		return
	}
	_ = json.Unmarshal(ev.Data, &p)
	if p.Video == nil {
		p.Video = &Video{}
	}
	unusable := decoded != nil ||
		(ev.Type == EventVideoChanged && !isOwnID(p.Video.ID)) ||
		(ev.Type == EventVideoDeleted && !isOwnID(p.VideoID)) ||
		(ev.Type == EventTaxonomyChanged && (!isOwnID(p.ID) || !cachedTaxonomyKind(p.Kind)))
	if unusable {
		require.Error(t, err, "%s event %q", ev.Type, ev.Data)
		requireDropped(t, err)
		require.Equal(t, before, after)
		return
	}
	require.NoError(t, err)
	switch ev.Type {
	case EventVideoChanged:
		if p.Video.ID != id {
			require.Equal(t, before, after, "an event about %q moved %s", p.Video.ID, id)
			requireAbsent(t, w, canonical(p.Video.ID), id)
			return
		}
		if p.Video.Version > before.video.Version && (before.tomb == 0 || p.Video.Version > before.tomb) {
			require.True(t, after.found)
			sameVideo(t, *p.Video, after.video)
			return
		}
		require.Equal(t, before.video, after.video, "an event at version %d moved version %d", p.Video.Version, before.video.Version)
	case EventVideoDeleted:
		if p.VideoID == id && before.found && p.Version > before.video.Version {
			require.False(t, after.found, "deleted at version %d", p.Version)
			return
		}
		require.Equal(t, before.found, after.found)
		require.Equal(t, before.video, after.video)
	case EventTaxonomyChanged:
		require.Equal(t, before, after)
		require.Equal(t, cats, w.categories(t), "the state's categories are what a refresh reloads")
	}
}

// requireAbsent checks that an event about other, a video the state does
// not hold, did not make it appear.
func requireAbsent(t *testing.T, w *fuzzWorld, other, id string) {
	t.Helper()
	if other == id {
		return
	}
	_, err := w.svc.GetVideo(context.Background(), GetVideoRequest{Caller: fuzzAdmin, ID: other})
	require.Equal(t, platform.KindNotFound, platform.KindOf(err), "a video the state does not hold appeared: %v", err)
}

func cachedTaxonomyKind(kind string) bool {
	return kind == "category" || kind == "genre" || kind == "cast"
}

// isOwnID reports whether id is as catalog writes ids, a canonical UUID,
// restated apart from the handler's own check.
func isOwnID(id string) bool {
	return canonical(id) != "" && canonical(id) == id
}
