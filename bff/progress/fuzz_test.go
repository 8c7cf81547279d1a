package progress_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/progress"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// The two watched videos of FuzzProgressEvent.
const (
	fuzzVideo = "0b8a1c9e-7f6d-4e2a-9c3b-5d4e6f7a8b9c"
	fuzzOther = "1c9b2d0f-8a7e-4f3b-8d4c-6e5f7a8b9c0d"
)

// fuzzTypes are the event types a fuzzed event gets, picked by a byte.
var fuzzTypes = []string{catalog.EventVideoChanged, catalog.EventVideoDeleted, catalog.EventTaxonomyChanged, ""}

// FuzzProgressEvent feeds the hub two arbitrary catalog events. The hub
// never fails an event (a progress bar has no use for a dead letter); an
// event reaches only the watchers of the video it names, as the update of
// its media, and only when it is a video.changed with media; delivering
// each event twice changes nothing; and when both events are about the
// same video at different versions (catalog numbers them from 1), the
// watcher ends at the same update whatever order they arrive in, so a
// redelivered older event never moves a progress bar back.
func FuzzProgressEvent(f *testing.F) {
	add := func(v1 catalog.Video, v2 catalog.Video) {
		d1, err := json.Marshal(catalog.VideoChanged{Video: v1})
		require.NoError(f, err)
		d2, err := json.Marshal(catalog.VideoChanged{Video: v2})
		require.NoError(f, err)
		f.Add(uint8(0), d1, uint8(0), d2)
	}
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	add(catalog.Video{ID: fuzzVideo, Version: 3, Media: &catalog.Media{ID: a, Status: catalog.MediaProcessing, Percent: 40}},
		catalog.Video{ID: fuzzVideo, Version: 4, Media: &catalog.Media{ID: a, Status: catalog.MediaProcessing, Percent: 60}})
	add(catalog.Video{ID: fuzzVideo, Version: 5, Media: &catalog.Media{ID: a, Status: catalog.MediaReady, Percent: 100}},
		catalog.Video{ID: fuzzVideo, Version: 7, Media: &catalog.Media{ID: b, Status: catalog.MediaPending}})
	add(catalog.Video{ID: fuzzVideo, Version: 5, Media: &catalog.Media{ID: a, Status: catalog.MediaFailed, Reason: "no video stream"}},
		catalog.Video{ID: fuzzVideo, Version: 6, Media: &catalog.Media{ID: a, Status: catalog.MediaReady, Percent: 100}})
	add(catalog.Video{ID: fuzzVideo, Version: 2, Media: &catalog.Media{ID: a, Status: catalog.MediaPending}},
		catalog.Video{ID: fuzzOther, Version: 9, Media: &catalog.Media{ID: b, Status: catalog.MediaProcessing, Percent: 5}})
	add(catalog.Video{ID: fuzzVideo, Version: 8, Title: "no media yet"},
		catalog.Video{ID: "", Version: 1, Media: &catalog.Media{ID: a}})
	for _, data := range []string{`{"video":{"id":"` + fuzzVideo + `","media":null}}`, `{"video":[]}`, `{`, ``, `null`, `{"videoId":"` + fuzzVideo + `"}`} {
		f.Add(uint8(0), []byte(data), uint8(1), []byte(data))
	}
	f.Fuzz(func(t *testing.T, pick1 uint8, data1 []byte, pick2 uint8, data2 []byte) {
		e1 := fuzzEvent("e-1", pick1, data1)
		e2 := fuzzEvent("e-2", pick2, data2)
		once := deliverAll(t, e1, e2)
		require.Equal(t, once, deliverAll(t, e1, e1, e2, e2), "a redelivered event changed the watchers")
		u1, ok1 := expected(e1)
		u2, ok2 := expected(e2)
		for _, watched := range []string{fuzzVideo, fuzzOther} {
			got := once[watched]
			switch {
			case !ok1 && !ok2 || (u1.VideoID != watched && u2.VideoID != watched):
				require.Nil(t, got, "no event was about %s", watched)
			case u1.VideoID != watched || !ok1:
				require.Equal(t, &u2, got)
			case u2.VideoID != watched || !ok2:
				require.Equal(t, &u1, got)
			default:
				require.NotNil(t, got)
				require.Contains(t, []progress.Update{u1, u2}, *got)
			}
		}
		v1, v2 := version(e1), version(e2)
		if ok1 && ok2 && u1.VideoID == u2.VideoID && v1 > 0 && v2 > 0 && v1 != v2 {
			require.Equal(t, once, deliverAll(t, e2, e1), "the order of events at versions %d and %d changed the watchers", v1, v2)
			require.Equal(t, once, deliverAll(t, e2, e1, e2, e1))
		}
	})
}

func fuzzEvent(id string, pick uint8, data []byte) platform.Event {
	typ := fuzzTypes[int(pick)%len(fuzzTypes)]
	return platform.Event{ID: id, Type: typ, Source: catalog.Source, Topic: catalog.Topic, Time: time.Unix(0, 0), Data: data}
}

// deliverAll hands evs in order to a new hub watched on both videos and
// returns the update each watcher ends with (absent when none).
func deliverAll(t *testing.T, evs ...platform.Event) map[string]*progress.Update {
	t.Helper()
	hub := progress.NewHub()
	watchers := map[string]*progress.Watcher{fuzzVideo: hub.Watch(fuzzVideo), fuzzOther: hub.Watch(fuzzOther)}
	for _, ev := range evs {
		require.NoError(t, hub.Handle(context.Background(), ev), "the hub never fails an event")
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	out := map[string]*progress.Update{}
	for id, w := range watchers {
		if u, ok := w.Next(done); ok {
			out[id] = &u
		}
		w.Close()
	}
	require.Zero(t, hub.Watchers())
	return out
}

// expected is the update ev carries, if any: the media of a video.changed
// event's video.
func expected(ev platform.Event) (progress.Update, bool) {
	var p catalog.VideoChanged
	if ev.Type != catalog.EventVideoChanged || json.Unmarshal(ev.Data, &p) != nil || p.Video.Media == nil || p.Video.ID == "" {
		return progress.Update{}, false
	}
	m := p.Video.Media
	return progress.Update{VideoID: p.Video.ID, MediaID: m.ID, Status: m.Status, Percent: m.Percent, Reason: m.Reason, Version: p.Video.Version}, true
}

// version is the video version of a video.changed event.
func version(ev platform.Event) int64 {
	var p catalog.VideoChanged
	_ = json.Unmarshal(ev.Data, &p)
	return p.Video.Version
}
