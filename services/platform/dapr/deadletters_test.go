package dapr

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newTestDeadLetterStore is a DeadLetterStore on an embedded State, enough
// for its bookkeeping (Redrive needs a sidecar).
func newTestDeadLetterStore(t *testing.T) *DeadLetterStore {
	t.Helper()
	st, err := embedded.OpenState(filepath.Join(t.TempDir(), "state.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return &DeadLetterStore{state: st, index: platform.NewKeySet(st, keyPrefix+"index", deadLetterShards), appID: "app"}
}

// TestDeadLetteredEvents: a dead-lettered event becomes its subscriptions'
// letters, from the failure records when the app took it and, when no
// handler ever ran, as letters that say the consumer was unreachable.
func TestDeadLetteredEvents(t *testing.T) {
	failed := func(sub string) outcome { return outcome{sub: sub, topic: "videos", err: errors.New(sub + " failed")} }
	type want struct {
		sub      string
		attempts int
		reason   string
	}
	cases := []struct {
		name     string
		outcomes [][]outcome // deliveries before the letter
		letter   []string    // the letter's group
		want     []want
		// later is a second group's letter of the same event, and what it
		// yields.
		later     []string
		wantLater []want
	}{
		{
			name:   "never delivered",
			letter: []string{"stats", "index"},
			want:   []want{{"index", 0, unreachableReason}, {"stats", 0, unreachableReason}},
		},
		{
			name:     "retries exhausted",
			outcomes: [][]outcome{{{sub: "index", topic: "videos"}, failed("stats")}, {failed("stats")}},
			letter:   []string{"index", "stats"},
			want:     []want{{"stats", 2, "dropped or retries exhausted: stats failed"}},
		},
		{
			name:     "one failure settled since",
			outcomes: [][]outcome{{failed("index"), failed("stats")}, {{sub: "index", topic: "videos"}, failed("stats")}},
			letter:   []string{"index", "stats"},
			want:     []want{{"stats", 2, "dropped or retries exhausted: stats failed"}},
		},
		{
			name:      "another group keeps its record",
			outcomes:  [][]outcome{{failed("index"), failed("revoke")}},
			letter:    []string{"index"},
			want:      []want{{"index", 1, "dropped or retries exhausted: index failed"}},
			later:     []string{"revoke"},
			wantLater: []want{{"index", 1, "dropped or retries exhausted: index failed"}, {"revoke", 1, "dropped or retries exhausted: revoke failed"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			d := newTestDeadLetterStore(t)
			ev := testEvent("videos")
			for _, o := range tc.outcomes {
				require.NoError(t, d.recordFailures(ctx, ev, o))
			}
			check := func(subs []string, expected []want) {
				t.Helper()
				require.NoError(t, d.deadLettered(ctx, ev, subs))
				// Twice, as a redelivered letter: the same letters.
				require.NoError(t, d.deadLettered(ctx, ev, subs))
				letters, err := d.ListDeadLetters(ctx)
				require.NoError(t, err)
				got := make([]want, 0, len(letters))
				for _, l := range letters {
					got = append(got, want{l.Subscription, l.Attempts, l.Reason})
					assert.Equal(t, l.Subscription+":"+ev.ID, l.ID)
					assert.Equal(t, "videos", l.Event.Topic)
					assert.False(t, l.FailedAt.IsZero())
				}
				assert.ElementsMatch(t, expected, got)
			}
			check(tc.letter, tc.want)
			if tc.later != nil {
				check(tc.later, tc.wantLater)
			}
			_, item, err := d.readFailures(ctx, ev.ID)
			require.NoError(t, err)
			assert.Empty(t, item.Key, "no failure record outlives the letters")
		})
	}
}
