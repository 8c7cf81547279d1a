package platformtest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadLetterOf returns the dead letter of event id, if listed. It may run
// outside the test goroutine, so it reports a failed list with assert.
func deadLetterOf(t *testing.T, dl platform.DeadLetters, id string) (platform.DeadLetter, bool) {
	t.Helper()
	all, err := dl.ListDeadLetters(context.Background())
	if !assert.NoError(t, err) {
		return platform.DeadLetter{}, false
	}
	for _, d := range all {
		if d.Event.ID == id {
			return d, true
		}
	}
	return platform.DeadLetter{}, false
}

// waitDeadLetter waits until event id is a dead letter and returns it.
func waitDeadLetter(t *testing.T, h PubSubHarness, dl platform.DeadLetters, id string) platform.DeadLetter {
	t.Helper()
	var found platform.DeadLetter
	eventually(t, h, func() bool {
		d, ok := deadLetterOf(t, dl, id)
		found = d
		return ok
	}, "event %s becomes a dead letter", id)
	return found
}

func pubsubDeadLetter(t *testing.T, h PubSubHarness) {
	topic := unique("topic")
	in := newInbox(func(platform.Event, int) error {
		return platform.Drop(errors.New("payload can never be handled"))
	})
	ports := h.Start(t, []platform.Subscription{sub(topic, "dead", in)})
	if ports.DeadLetters == nil {
		t.Skip("adapter exposes dead letters otherwise")
	}
	ids := publish(t, ports.Publisher, topic, 1)

	d := waitDeadLetter(t, h, ports.DeadLetters, ids[0])
	assert.NotEmpty(t, d.ID)
	assert.Contains(t, d.Subscription, "dead")
	assert.Equal(t, topic, d.Event.Topic)
	assert.Contains(t, d.Reason, "payload can never be handled")
	assert.GreaterOrEqual(t, d.Attempts, 1)
	assert.False(t, d.FailedAt.IsZero())
	assert.Equal(t, 1, in.callsOf(ids[0]), "a dropped event is not retried")

	in.setFail(nil)
	require.NoError(t, ports.DeadLetters.Redrive(context.Background(), d.ID))
	eventually(t, h, func() bool { return in.hasAll(ids) }, "a redriven event is delivered")
	_, still := deadLetterOf(t, ports.DeadLetters, ids[0])
	assert.False(t, still, "a redriven dead letter leaves the list")

	err := ports.DeadLetters.Redrive(context.Background(), d.ID)
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "redrive twice: %v", err)
	err = ports.DeadLetters.Redrive(context.Background(), unique("no-such-dead-letter"))
	assert.Equal(t, platform.KindNotFound, platform.KindOf(err), "unknown id: %v", err)
}

func pubsubExhausted(t *testing.T, h PubSubHarness) {
	if h.MaxAttempts <= 0 {
		t.Skip("harness sets no MaxAttempts")
	}
	topic := unique("topic")
	in := newInbox(func(platform.Event, int) error { return errors.New("always failing") })
	ports := h.Start(t, []platform.Subscription{sub(topic, "exhaust", in)})
	if ports.DeadLetters == nil {
		t.Skip("adapter exposes dead letters otherwise")
	}
	ids := publish(t, ports.Publisher, topic, 1)

	d := waitDeadLetter(t, h, ports.DeadLetters, ids[0])
	assert.Equal(t, h.MaxAttempts, d.Attempts)
	assert.Equal(t, h.MaxAttempts, in.callsOf(ids[0]))
	assert.True(t, strings.Contains(d.Reason, "always failing"), d.Reason)
}

func pubsubConcurrent(t *testing.T, h PubSubHarness) {
	const publishers, each = 8, 25
	topic := unique("topic")
	in := newInbox(nil)
	ports := h.Start(t, []platform.Subscription{sub(topic, "many", in)})

	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids []string
	)
	for range publishers {
		wg.Go(func() {
			got, err := publishN(ports.Publisher, topic, each)
			assert.NoError(t, err)
			mu.Lock()
			ids = append(ids, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	require.Len(t, ids, publishers*each, "every Publish succeeds")
	eventually(t, h, func() bool { return in.hasAll(ids) }, "all %d events delivered", len(ids))
	assert.ElementsMatch(t, ids, in.ackedIDs())
}
