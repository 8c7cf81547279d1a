package dapr

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

// FuzzDecodeCloudEvent feeds decodeEvent what a sidecar (or anyone who can
// reach the app's port) may deliver. An event it accepts has an id, can be
// stored (a dead letter keeps it as JSON) and republished (a redrive
// encodes it again), and decoding the re-encoded event gives the same event
// and redrive target: nothing is lost or changed on the way round.
func FuzzDecodeCloudEvent(f *testing.F) {
	ours, err := encodeEvent(platform.Event{
		ID: "e-1", Type: "video.changed", Source: "catalog", Topic: "catalog",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), Data: json.RawMessage(`{"videoId":"v-1"}`),
	}, "catalog/catalog-projection")
	require.NoError(f, err)
	f.Add(ours)
	for _, seed := range []string{
		`{"specversion":"1.0","id":"e-2","type":"t","source":"s","topic":"users","pubsubname":"pubsub","traceparent":"00-x","data":{"a":1}}`,
		`{"id":"e-3","datacontenttype":"application/octet-stream","data_base64":"eyJhIjoxfQ=="}`,
		`{"id":"e-4","data_base64":"//79"}`,
		`{"id":"e-5","time":"2026-01-02T03:04:05+14:00","data":null}`,
		`{"id":"e-6","time":"0000-01-01T00:00:00+00:01"}`,
		`{"id":"e-7","time":"9999-12-31T23:59:59-01:00"}`,
		`{"id":"e-8","data":"a string","dflixtopic":"media","dflixredrive":"bff/x"}`,
		`{"id":"","type":"t"}`,
		`{"id":"e-9","data": [1, 2 ,3 ]}`,
		`[]`, `null`, `{"id":1}`, `{"id":"e-10","time":"yesterday"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, redrive, err := decodeEvent(body)
		if err != nil {
			return
		}
		require.NotEmpty(t, ev.ID)
		_, err = json.Marshal(platform.DeadLetter{ID: ev.ID, Event: ev})
		require.NoError(t, err, "an accepted event must be storable as a dead letter")
		again, err := encodeEvent(ev, redrive)
		require.NoError(t, err, "an accepted event must be publishable again")
		ev2, redrive2, err := decodeEvent(again)
		require.NoError(t, err, "re-encoded: %s", again)
		assert.Equal(t, redrive, redrive2)
		assert.Equal(t, ev.ID, ev2.ID)
		assert.Equal(t, ev.Type, ev2.Type)
		assert.Equal(t, ev.Source, ev2.Source)
		assert.Equal(t, ev.Topic, ev2.Topic)
		assert.True(t, ev.Time.Equal(ev2.Time), "time %v became %v", ev.Time, ev2.Time)
		if len(ev.Data) == 0 {
			assert.JSONEq(t, "null", string(ev2.Data))
		} else {
			assert.JSONEq(t, string(ev.Data), string(ev2.Data))
		}
	})
}
