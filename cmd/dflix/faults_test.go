package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform/faults"
)

// chaos is the fault mix of the faulty run: about one delivery in ten
// gets each fault.
var chaos = faults.Config{Seed: 2026, Duplicate: 0.1, Redeliver: 0.1, Reorder: 0.1, Delay: 0.1, MaxDelay: 20 * time.Millisecond}

// TestEventFaultsLeaveTheSameFinalState runs every service in one process
// twice with the same workload, once on a clean bus and once with
// duplicated, reordered and delayed deliveries to every subscriber, and
// compares what each service answers afterwards.
func TestEventFaultsLeaveTheSameFinalState(t *testing.T) {
	clean := startFaultyPlatform(t, faults.Config{})
	cleanWorld := runWorkload(clean)
	want := takeSnapshot(clean, cleanWorld)

	faulty := startFaultyPlatform(t, chaos)
	faultyWorld := runWorkload(faulty)
	got := takeSnapshot(faulty, faultyWorld)
	counts := faulty.inj.Counts()

	t.Run("same final state", func(t *testing.T) {
		assert.Equal(t, want.Videos, got.Videos, "catalog videos with media status")
		assert.Equal(t, want.Search, got.Search, "search hits and facets")
		assert.Equal(t, want.Taxonomy, got.Taxonomy)
		assert.Equal(t, want.UserTags, got.UserTags, "each user's tags")
		assert.Equal(t, want.ByTags, got.ByTags, "videos by each user's tags")
		assert.Equal(t, want.Users, got.Users, "users and roles")
		assert.Equal(t, want.Billing, got.Billing)
		assert.Equal(t, want.Invoices, got.Invoices)
		assert.Equal(t, want.Progress, got.Progress)
		assert.Equal(t, want.Jobs, got.Jobs, "encoder jobs")
		assert.Equal(t, want.BFFVideos, got.BFFVideos, "the BFF's cached videos")
		assert.Equal(t, want.BFFTaxa, got.BFFTaxa, "the BFF's cached taxonomy")
		assert.Equal(t, want.TokenCodes, got.TokenCodes, "the BFF's revocations")
	})
	t.Run("faults were injected and no copy was handled otherwise", func(t *testing.T) {
		assert.Positive(t, counts.Duplicated)
		assert.Positive(t, counts.Redelivered)
		assert.Positive(t, counts.Reordered)
		assert.Positive(t, counts.Delayed)
		assert.Zero(t, counts.Mismatched)
		assert.Zero(t, counts.Abandoned)
	})
	for name, s := range map[string]snapshot{"clean": want, "faulty": got} {
		t.Run("no effect applied twice/"+name, func(t *testing.T) { assertAppliedOnce(t, s) })
	}
	for name, p := range map[string]*faultyPlatform{"clean": clean, "faulty": faulty} {
		t.Run("poison goes to the dead letters/"+name, func(t *testing.T) {
			w := map[string]*world{"clean": cleanWorld, "faulty": faultyWorld}[name]
			assertPoisonDropped(t, p, w)
		})
	}
	published := faulty.pub.counts()
	t.Logf("figure: events published (faulty run): %v, %d of them poison", published, len(faultyWorld.poison))
	t.Logf("figure: events injected (seed %d): %s", chaos.Seed, counts)
	t.Logf("figure: dead letters: clean %d, faulty %d", len(clean.deadLetters()), len(faulty.deadLetters()))
}

// assertAppliedOnce checks the effects that a duplicate applied twice
// would double: invoices, watch history entries, tags, renditions, jobs'
// videos, search totals and users.
func assertAppliedOnce(t *testing.T, s snapshot) {
	t.Helper()
	for u := range wlViewers {
		em := email(u)
		switch {
		case u < 12:
			assert.Len(t, s.Invoices[em], 1, em)
			assert.Len(t, s.Progress[em], 2, em)
		default:
			assert.Empty(t, s.Invoices[em], em)
		}
		for _, line := range s.UserTags[em] {
			_, tags, _ := strings.Cut(line, ": ")
			list := strings.Split(tags, ",")
			assert.Len(t, slices.Compact(slices.Sorted(slices.Values(list))), len(list), "duplicate tag: %s %s", em, line)
		}
	}
	for _, u := range []int{12, 13, 14, 15} {
		assert.Empty(t, s.UserTags[email(u)], "tags of deleted %s", email(u))
	}
	for ttl, v := range s.Videos {
		if strings.Contains(v, "status=READY") {
			assert.Contains(t, v, "renditions=[", ttl)
			assert.Equal(t, 1, strings.Count(v, "360p"), "%s: %s", ttl, v)
		}
	}
	assert.Equal(t, "25", s.Videos["total"], "30 videos, 5 deleted")
	assert.Equal(t, "13", s.Users["total"], "the admin and 16 viewers, 4 deleted")
	assert.Contains(t, s.Search["film as ADMIN"], "total 25")
	for media, job := range s.Jobs {
		want := 1
		if strings.HasSuffix(media, "000f") { // media 14 is shared by two videos
			want = 2
		}
		assert.Contains(t, job, fmt.Sprintf(" n=%d ", want), media)
		assert.True(t, strings.HasPrefix(job, "queued"), job)
	}
}

// assertPoisonDropped checks that each poison message is in the dead
// letters once for each subscription that decodes its type, and that
// nothing else is.
func assertPoisonDropped(t *testing.T, p *faultyPlatform, w *world) {
	t.Helper()
	want := map[string]bool{}
	for i, pe := range poisonTable {
		for _, sub := range pe.droppedBy {
			want[sub+" "+w.poison[i].ID] = true
		}
	}
	list, err := p.st.bus.ListDeadLetters(t.Context())
	require.NoError(t, err)
	var got []string
	for _, dl := range list {
		got = append(got, dl.Subscription+" "+dl.Event.ID)
	}
	assert.ElementsMatch(t, slices.Sorted(maps.Keys(want)), got, "dead letters")
	assert.Len(t, got, len(want), fmt.Sprintf("each poison message once per consumer: %v", got))
}
