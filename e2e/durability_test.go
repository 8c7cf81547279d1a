package e2e

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// acked records the writes dflix acknowledged (answered without errors).
// A write whose answer never arrived is unknown and is not checked.
type acked struct {
	mu     sync.Mutex
	users  map[string]string // email -> password
	titles map[string]string // video id -> last acknowledged title
	sent   map[string]string // video id -> title of a rename in flight
	public map[string]bool   // video id -> acknowledged published
	tags   map[string]tagged // video id -> acknowledged viewer tag
}

type tagged struct{ email, password, tag string }

func newAcked() *acked {
	return &acked{users: map[string]string{}, titles: map[string]string{}, sent: map[string]string{}, public: map[string]bool{}, tags: map[string]tagged{}}
}

func (a *acked) with(f func()) { a.mu.Lock(); defer a.mu.Unlock(); f() }

// writer runs one stream of dependent mutations until a request fails at the
// transport (the process is gone) or n rounds are done.
func writer(c *client, admin string, a *acked, prefix string, n int) {
	ad := c.withToken(admin)
	for i := 0; i < n; i++ {
		email, pw := fmt.Sprintf("%s-%d@durable.test", prefix, i), "durable-pass-1"
		resp, err := c.do(`mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p, displayName: "D"}) { accessToken } }`, map[string]any{"e": email, "p": pw})
		if err != nil || len(resp.Errors) > 0 {
			return
		}
		a.with(func() { a.users[email] = pw })
		var reg struct{ Register struct{ AccessToken string } }
		if mustDecode(resp, &reg) != nil {
			return
		}
		id, ok := createVideo(ad, a, fmt.Sprintf("%s draft %d", prefix, i))
		if !ok || !renameVideo(ad, a, id, fmt.Sprintf("%s final %d", prefix, i)) || !publishVideo(ad, a, id) {
			return
		}
		tag := fmt.Sprintf("%s-tag-%d", prefix, i)
		resp, err = c.withToken(reg.Register.AccessToken).do(`mutation($id: ID!, $t: String!) { addTags(videoId: $id, tags: [$t]) }`, map[string]any{"id": id, "t": tag})
		if err != nil || len(resp.Errors) > 0 {
			return
		}
		a.with(func() { a.tags[id] = tagged{email, pw, tag} })
	}
}

func createVideo(ad *client, a *acked, title string) (string, bool) {
	resp, err := ad.do(`mutation($t: String!) { createVideo(input: {title: $t, releaseYear: 2020, durationSeconds: 60, ageRating: PG}) { id } }`, map[string]any{"t": title})
	var out struct{ CreateVideo struct{ ID string } }
	if err != nil || len(resp.Errors) > 0 || mustDecode(resp, &out) != nil {
		return "", false
	}
	a.with(func() { a.titles[out.CreateVideo.ID] = title })
	return out.CreateVideo.ID, true
}

func renameVideo(ad *client, a *acked, id, title string) bool {
	a.with(func() { a.sent[id] = title })
	resp, err := ad.do(`mutation($id: ID!, $t: String!) { updateVideo(id: $id, input: {title: $t}) { id } }`, map[string]any{"id": id, "t": title})
	if err != nil || len(resp.Errors) > 0 {
		return false
	}
	a.with(func() { a.titles[id] = title })
	return true
}

func publishVideo(ad *client, a *acked, id string) bool {
	resp, err := ad.do(`mutation($id: ID!) { publishVideo(id: $id) { id } }`, map[string]any{"id": id})
	if err != nil || len(resp.Errors) > 0 {
		return false
	}
	a.with(func() { a.public[id] = true })
	return true
}

// TestAcknowledgedWritesSurviveKill9 streams mutations from several clients,
// SIGKILLs the process at a random moment (twice), restarts it on the same
// data, and checks that every acknowledged write is there.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	dir := t.TempDir()
	a := newAcked()
	for round := 0; round < 2; round++ {
		in := start(t, dir)
		c := newClient(in.URL)
		admin := login(t, c, adminEmail, adminPassword)
		var wg sync.WaitGroup
		for w := 0; w < 3; w++ {
			wg.Go(func() { writer(c, admin, a, fmt.Sprintf("r%dw%d", round, w), 1000) })
		}
		time.Sleep(time.Duration(400+rand.IntN(800)) * time.Millisecond) // the kill point, not a wait
		in.kill()
		wg.Wait()
	}
	require.NotEmpty(t, a.users, "some writes were acknowledged before the kill")

	in := start(t, dir)
	c := newClient(in.URL)
	admin := c.withToken(login(t, c, adminEmail, adminPassword))
	for email, pw := range a.users {
		login(t, c, email, pw)
	}
	for id, title := range a.titles {
		var v struct {
			Video struct {
				Title     string
				Published bool
			}
		}
		admin.must(t, `query($id: ID!) { video(id: $id) { title published } }`, map[string]any{"id": id}, &v)
		// A rename whose answer was cut off by the kill may have landed too.
		assert.Contains(t, []string{title, a.sent[id]}, v.Video.Title, "video %s", id)
		if a.public[id] {
			assert.True(t, v.Video.Published, "video %s was acknowledged as published", id)
		}
	}
	for id, tg := range a.tags {
		viewer := c.withToken(login(t, c, tg.email, tg.password))
		var out struct{ VideosByTags []videoNode }
		viewer.must(t, `query($t: String!) { videosByTags(tags: [$t]) { id } }`, map[string]any{"t": tg.tag}, &out)
		require.Len(t, out.VideosByTags, 1, "tag %s", tg.tag)
		assert.Equal(t, id, out.VideosByTags[0].ID)
	}
	t.Logf("verified after kill -9: %d users, %d videos, %d published, %d tags", len(a.users), len(a.titles), len(a.public), len(a.tags))
}

func login(t *testing.T, c *client, email, password string) string {
	t.Helper()
	var out struct{ Login authPayload }
	c.must(t, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { id role } } }`, map[string]any{"e": email, "p": password}, &out)
	return out.Login.AccessToken
}
