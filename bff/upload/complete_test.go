package upload_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff/upload"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// crashingState fails the first write that records an event (the
// completion), as if the process died between the copy and the record write.
type crashingState struct {
	platform.State
	mu      sync.Mutex
	crashes int
}

func (c *crashingState) Transact(ctx context.Context, ops []platform.Op) error {
	c.mu.Lock()
	for _, op := range ops {
		if c.crashes > 0 && strings.HasPrefix(op.Key, "outbox/event/") {
			c.crashes--
			c.mu.Unlock()
			return platform.E(platform.KindUnavailable, "state down", nil)
		}
	}
	c.mu.Unlock()
	return c.State.Transact(ctx, ops)
}

func TestInterruptedCompletionIsFinished(t *testing.T) {
	tests := []struct {
		name   string
		finish func(t *testing.T, f *fixture, up upload.CreateResponse, length int64)
	}{
		{"by HEAD", func(t *testing.T, f *fixture, up upload.CreateResponse, length int64) {
			assert.Equal(t, length, f.headOffset(up.URL))
		}},
		{"by an empty PATCH", func(t *testing.T, f *fixture, up upload.CreateResponse, length int64) {
			code, body := status(t, f.patch(f.srv, up.URL, length, http.NoBody, 0))
			require.Equal(t, http.StatusNoContent, code, body)
		}},
		{"by the sweep", func(t *testing.T, f *fixture, _ upload.CreateResponse, _ int64) {
			res, err := f.srv.Sweep(t.Context())
			require.NoError(t, err)
			assert.Equal(t, upload.SweepResult{Finished: 1}, res)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			crash := &crashingState{crashes: 1}
			f := newFixture(t, upload.Config{PartSize: testPart}, func(d *upload.Deps) {
				crash.State = d.State
				d.State = crash
			})
			data := platformtest.RandomBytes(2_500, 11)
			up := f.create(int64(len(data)))

			code, _ := status(t, f.patch(f.srv, up.URL, 0, bytes.NewReader(data), int64(len(data))))
			require.Equal(t, http.StatusServiceUnavailable, code)
			u, err := f.srv.Get(t.Context(), up.ID)
			require.NoError(t, err)
			assert.False(t, u.Completed)
			assert.EqualValues(t, len(data), u.Offset)
			assert.Equal(t, data, f.readBlob(upload.SourceKey(sha(data))), "the copy was made")
			assert.Empty(t, f.pub.completed(t))

			tt.finish(t, f, up, int64(len(data)))
			assertCompleted(t, f, up, data, "video-1")
			assert.Len(t, f.pub.completed(t), 1)

			// Finishing again changes nothing.
			assert.Equal(t, int64(len(data)), f.headOffset(up.URL))
			_, err = f.srv.Sweep(t.Context())
			require.NoError(t, err)
			assert.Len(t, f.pub.completed(t), 1)
		})
	}
}

func TestRunRelaysAnEventThatCouldNotBePublished(t *testing.T) {
	f := newFixture(t, upload.Config{OutboxInterval: 10 * time.Millisecond, SweepInterval: time.Hour})
	f.pub.failures = 1
	up := f.create(3)
	code, _ := status(t, f.patch(f.srv, up.URL, 0, strings.NewReader("abc"), 3))
	require.Equal(t, http.StatusNoContent, code, "the event waits in the outbox")
	assert.Empty(t, f.pub.completed(t))

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.srv.Run(ctx) }()
	require.Eventually(t, func() bool { return len(f.pub.completed(t)) == 1 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}
