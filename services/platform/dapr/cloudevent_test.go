package dapr

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCloudEventRoundtrip(t *testing.T) {
	ev := platform.Event{
		ID: "e-1", Type: "video.changed", Source: "catalog", Topic: "catalog",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC),
		Data: json.RawMessage(`{"videoId":"v-1","n":12345678901234567890}`),
	}
	body, err := encodeEvent(ev, "")
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(body, &m))
	assert.Equal(t, "1.0", m["specversion"])
	assert.Equal(t, "application/json", m["datacontenttype"])
	assert.Equal(t, "catalog", m["dflixtopic"])

	got, redrive, err := decodeEvent(body)
	require.NoError(t, err)
	assert.Empty(t, redrive)
	assert.Equal(t, ev, got)
}

func TestDecodeDeliveredCloudEvent(t *testing.T) {
	cases := []struct {
		name, body string
		want       platform.Event
		redrive    string
	}{
		{
			name: "as the sidecar delivers ours",
			body: `{"specversion":"1.0","id":"e-1","type":"t","source":"s","time":"2026-01-02T03:04:05Z","datacontenttype":"application/json",
				"data":{"a":1},"dflixtopic":"orig","topic":"deadletters","pubsubname":"pubsub","traceparent":"00-x","dflixredrive":"app/sub"}`,
			want:    platform.Event{ID: "e-1", Type: "t", Source: "s", Topic: "orig", Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(`{"a":1}`), TraceParent: "00-x"},
			redrive: "app/sub",
		},
		{
			name: "a foreign event takes the sidecar's topic",
			body: `{"specversion":"1.0","id":"e-2","type":"t","source":"s","topic":"videos","data":"text"}`,
			want: platform.Event{ID: "e-2", Type: "t", Source: "s", Topic: "videos", Data: json.RawMessage(`"text"`)},
		},
		{
			// Bytes that are not JSON stay as their base64 text in a JSON
			// string: an event's data must stay JSON to be stored as a dead
			// letter and published again (FuzzDecodeCloudEvent).
			name: "binary data",
			body: `{"specversion":"1.0","id":"e-3","type":"t","source":"s","data_base64":"AAEC"}`,
			want: platform.Event{ID: "e-3", Type: "t", Source: "s", Data: []byte(`"AAEC"`)},
		},
		{
			name: "JSON in base64",
			body: `{"specversion":"1.0","id":"e-4","type":"t","source":"s","data_base64":"eyJhIjoxfQ=="}`,
			want: platform.Event{ID: "e-4", Type: "t", Source: "s", Data: []byte(`{"a":1}`)},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, redrive, err := decodeEvent([]byte(tc.body))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.redrive, redrive)
		})
	}
	for _, bad := range []string{`not json`, `{"type":"no id"}`, `{"id":"x","time":"yesterday"}`, `{"id":"x","data_base64":"!"}`} {
		_, _, err := decodeEvent([]byte(bad))
		assert.Error(t, err, bad)
	}
}
