package encoder_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// TestGetJob runs the same checks against the service in process and
// through its HTTP handler and client, so the wire format cannot drift.
func TestGetJob(t *testing.T) {
	transports := []struct {
		name string
		api  func(svc *encoder.Service) encoder.API
	}{
		{"direct", func(svc *encoder.Service) encoder.API { return svc }},
		{"wire", func(svc *encoder.Service) encoder.API {
			inv := embedded.NewInvoker()
			inv.Register(encoder.AppID, encoder.NewHandler(svc))
			return encoder.NewClient(inv)
		}},
	}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			h := newHarness(t)
			svc := h.service(h.config())
			id := strings.Repeat("1e", 32)
			deliver(t, svc, "video-1", id)
			api := tr.api(svc)

			resp, err := api.GetJob(ctx, encoder.GetJobRequest{Caller: admin, MediaID: id})
			require.NoError(t, err)
			direct, err := svc.GetJob(ctx, encoder.GetJobRequest{Caller: admin, MediaID: id})
			require.NoError(t, err)
			assert.Equal(t, direct, resp)
			assert.Equal(t, encoder.JobQueued, resp.Job.Status)

			cases := []struct {
				name    string
				req     encoder.GetJobRequest
				kind    platform.Kind
				message string
			}{
				{"anonymous", encoder.GetJobRequest{Caller: anon, MediaID: id}, platform.KindUnauthenticated, "sign in required"},
				{"viewer", encoder.GetJobRequest{Caller: viewer, MediaID: id}, platform.KindForbidden, "admin role required"},
				{"malformed id", encoder.GetJobRequest{Caller: admin, MediaID: "nope"}, platform.KindInvalid, "invalid media id"},
				{"unknown media", encoder.GetJobRequest{Caller: admin, MediaID: strings.Repeat("2f", 32)}, platform.KindNotFound, "job not found"},
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := api.GetJob(ctx, tc.req)
					require.Error(t, err)
					assert.Equal(t, tc.kind, platform.KindOf(err), "%v", err)
					assert.Contains(t, platform.PublicMessage(err), tc.message)
				})
			}
		})
	}
}

// TestOverBus runs the encoder on the embedded bus, as dflix does in one
// process: an upload.completed published on the bus ends in an
// encoding.completed delivered to another subscriber.
func TestOverBus(t *testing.T) {
	h := newHarness(t)
	bus, err := embedded.OpenBus(filepath.Join(h.dir, "bus.db"), embedded.BusOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bus.Close() })
	svc, err := encoder.New(ctx, h.config(), h.state, h.blobs, bus, nil, nil)
	require.NoError(t, err)
	outcomes := make(chan platform.Event, 16)
	subs := append(svc.Subscriptions(), platform.Subscription{Topic: encoder.Topic, Name: "test-outcomes",
		Handle: func(_ context.Context, ev platform.Event) error {
			if ev.Type == encoder.EventEncodingCompleted || ev.Type == encoder.EventEncodingFailed {
				outcomes <- ev
			}
			return nil
		}})
	for _, sub := range subs {
		require.NoError(t, bus.Subscribe(ctx, sub))
	}
	require.NoError(t, bus.Start(ctx))
	h.run(svc)
	id := h.upload(fixture(t, "360p.mp4"))
	require.NoError(t, bus.Publish(ctx, uploadEvent(t, "video-1", id)))

	var ev platform.Event
	eventually(t, "the outcome on the bus", func() bool {
		select {
		case ev = <-outcomes:
			return true
		default:
			return false
		}
	})
	require.Equal(t, encoder.EventEncodingCompleted, ev.Type)
	var p encoder.EncodingCompleted
	require.NoError(t, ev.Decode(&p))
	assert.Equal(t, "video-1", p.VideoID)
	assert.Equal(t, id, p.MediaID)
	assert.Equal(t, "media/"+id+"/hls/master.m3u8", p.Result.MasterKey)
}
