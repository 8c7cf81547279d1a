package catalog_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// TestMediaEventsInAnyOrderAndTwice delivers each scenario's media events
// in every order, each followed by a redelivery of every event, and
// expects the media that the events in publication order leave. Found by
// the fault injection test in cmd/dflix: a re-upload whose completion
// overtook its upload event stayed PENDING, and a redelivered upload event
// restarted a FAILED media.
func TestMediaEventsInAnyOrderAndTwice(t *testing.T) {
	svc := newService(t, openState(t, t.TempDir()), &platformtest.Recorder{})
	handle := handler(t, svc, catalog.SubscriptionMedia)
	idA, idB := strings.Repeat("a", 64), strings.Repeat("b", 64)
	t0 := testClockStart
	result := encoder.Result{DurationSeconds: 30, Width: 640, Height: 360, Renditions: []encoder.Rendition{{Name: "360p", Width: 640, Height: 360}}}
	type ev struct {
		typ     string
		at      time.Time
		payload func(videoID string) any
	}
	upload := func(id string, at time.Time) ev {
		return ev{encoder.EventUploadCompleted, at, func(v string) any {
			return encoder.UploadCompleted{VideoID: v, MediaID: id, Filename: id[:1] + ".mp4", Size: 7}
		}}
	}
	progress := func(id string, pct float64) ev {
		return ev{encoder.EventEncodingProgress, t0, func(v string) any { return encoder.EncodingProgress{VideoID: v, MediaID: id, Percent: pct} }}
	}
	done := func(id string) ev {
		return ev{encoder.EventEncodingCompleted, t0, func(v string) any { return encoder.EncodingCompleted{VideoID: v, MediaID: id, Result: result} }}
	}
	failed := func(id string) ev {
		return ev{encoder.EventEncodingFailed, t0, func(v string) any { return encoder.EncodingFailed{VideoID: v, MediaID: id, Reason: "not a video"} }}
	}
	tests := []struct {
		name   string
		events []ev // in publication order
	}{
		{"re-upload", []ev{upload(idA, t0), done(idA), upload(idB, t0.Add(time.Hour)), progress(idB, 50), done(idB)}},
		{"failed", []ev{upload(idA, t0), progress(idA, 40), failed(idA)}},
		{"still encoding", []ev{upload(idA, t0), progress(idA, 30), progress(idA, 60)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apply := func(order []int) string {
				v := mustVideo(t, svc, input(fmt.Sprint(tt.name, " ", order)), true)
				events := make([]platform.Event, len(order))
				for i, at := range order {
					e := tt.events[at]
					events[i] = mediaEvent(t, e.typ, e.at, e.payload(v.ID))
				}
				for _, e := range append(events, events...) {
					require.NoError(t, handle(ctx, e))
				}
				got, err := svc.GetVideo(ctx, catalog.GetVideoRequest{Caller: admin, ID: v.ID})
				require.NoError(t, err)
				return describeMedia(got.Video)
			}
			inOrder := make([]int, len(tt.events))
			for i := range inOrder {
				inOrder[i] = i
			}
			want := apply(inOrder)
			for _, order := range permutations(inOrder) {
				assert.Equal(t, want, apply(order), "order %v", order)
			}
		})
	}
}

// describeMedia is what a viewer sees of a video's media.
func describeMedia(v catalog.Video) string {
	m := v.Media
	if m == nil {
		return string(v.Status) + " no media"
	}
	return fmt.Sprintf("%s %s…: %s %.1f%% %s %d %q renditions=%d duration=%d",
		v.Status, m.ID[:1], m.Status, m.Percent, m.Filename, m.Size, m.Reason, len(m.Renditions), v.DurationSeconds)
}

// permutations returns every order of xs.
func permutations(xs []int) [][]int {
	if len(xs) <= 1 {
		return [][]int{append([]int(nil), xs...)}
	}
	var out [][]int
	for i := range xs {
		rest := append(append([]int(nil), xs[:i]...), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]int{xs[i]}, p...))
		}
	}
	return out
}
