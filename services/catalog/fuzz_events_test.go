package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// fuzzWorld is one service for a whole fuzzing process (its search index
// is too slow to build per input); each input gets a fresh video and user,
// which its payloads name as @V (@W in upper case) and @U; @C is the
// world's category, @A and @B two media ids.
type fuzzWorld struct {
	svc   *Service
	state *platformtest.MemState
	pub   *platformtest.Recorder
	cat   Category
}

var fuzzAdmin = platform.Caller{UserID: "u-admin", Role: platform.RoleAdmin}

func newFuzzWorld(f testing.TB) *fuzzWorld {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ticks atomic.Int64
	clock := func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Millisecond) }
	w := &fuzzWorld{state: platformtest.NewMemState(), pub: &platformtest.Recorder{}}
	svc, err := New(context.Background(), Config{IndexDir: f.TempDir()}, w.state, w.pub, clock, nil)
	require.NoError(f, err)
	f.Cleanup(func() { require.NoError(f, svc.Close()) })
	w.svc = svc
	resp, err := svc.CreateCategory(context.Background(), CreateCategoryRequest{Caller: fuzzAdmin, Name: "Movies"})
	require.NoError(f, err)
	w.cat = resp.Category
	return w
}

// fresh stores a published video and the tags of a user on it, as a
// replica that loaded them holds them, and returns them with data's
// placeholders replaced by their ids. It writes the state and the
// projection directly: going through CreateVideo, PublishVideo and AddTags
// would index the video three times.
func (w *fuzzWorld) fresh(t *testing.T, data ...[]byte) (Video, string, [][]byte) {
	t.Helper()
	ctx := context.Background()
	now := w.svc.clock()
	v := Video{ID: uuid.NewString(), Title: "Fuzzed", ReleaseYear: 2000, DurationSeconds: 60, AgeRating: RatingPG13,
		CategoryIDs: []string{w.cat.ID}, Status: StatusDraft, Published: true, CreatedAt: now, UpdatedAt: now, Version: 1}
	user := uuid.NewString()
	require.NoError(t, platform.SetJSON(ctx, w.state, videoKey(v.ID), v, "", true))
	require.NoError(t, platform.SetJSON(ctx, w.state, userTagsKey(user), userTags{v.ID: {"fuzz"}}, "", true))
	v = w.stored(t, v.ID)
	// Each input starts from a projection that holds only its video: what an
	// earlier input applied or buried (a tombstone of a fixed id) must not
	// change what this one sees, or a failure would not reproduce alone.
	w.svc.proj = newProjection()
	require.True(t, w.svc.proj.apply(v))
	// Marked as indexed, not indexed: the targets never search, and a bleve
	// batch per input would cost most of its time and start the index's
	// background merges, whose coverage the fuzzer takes for new finds.
	w.svc.index.mu.Lock()
	w.svc.index.indexed[v.ID] = w.svc.searchDoc(&v).fingerprint()
	w.svc.index.mu.Unlock()
	out := make([][]byte, len(data))
	for i, d := range data {
		d = bytes.ReplaceAll(d, []byte("@V"), []byte(v.ID))
		d = bytes.ReplaceAll(d, []byte("@W"), []byte(strings.ToUpper(v.ID)))
		d = bytes.ReplaceAll(d, []byte("@C"), []byte(w.cat.ID))
		d = bytes.ReplaceAll(d, []byte("@A"), []byte(strings.Repeat("a", 64)))
		d = bytes.ReplaceAll(d, []byte("@B"), []byte(strings.Repeat("b", 64)))
		out[i] = bytes.ReplaceAll(d, []byte("@U"), []byte(user))
	}
	return v, user, out
}

// stored is the video id as the state holds it.
func (w *fuzzWorld) stored(t *testing.T, id string) Video {
	t.Helper()
	var v Video
	_, err := platform.GetJSON(context.Background(), w.state, videoKey(id), "video not found", &v)
	require.NoError(t, err)
	return v
}

// tags is the user's tags on v.
func (w *fuzzWorld) tags(t *testing.T, user string, v Video) []string {
	t.Helper()
	resp, err := w.svc.UserTags(context.Background(), UserTagsRequest{Caller: platform.Caller{UserID: user, Role: platform.RoleViewer}, VideoIDs: []string{v.ID}})
	require.NoError(t, err)
	return resp.Tags[v.ID]
}

// requireDropped checks that a handler's error sends the event to the dead
// letters rather than to endless retries.
func requireDropped(t *testing.T, err error) {
	t.Helper()
	require.True(t, platform.IsDrop(err), "a payload that can never be handled must go to the dead letters: %v", err)
}

// sameVideo reports whether a and b are the same video, whatever the
// representation of their empty slices.
func sameVideo(t *testing.T, a, b Video) {
	t.Helper()
	ja, err := json.Marshal(a)
	require.NoError(t, err)
	jb, err := json.Marshal(b)
	require.NoError(t, err)
	require.JSONEq(t, string(ja), string(jb))
}

// canonical is id as catalog keys it, or "" for a malformed id.
func canonical(id string) string {
	c, err := parseID(id)
	if err != nil {
		return ""
	}
	return c
}
