package main

import (
	"context"
	"fmt"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
	"github.com/dflix/dflix/services/subscription/sandbox"
)

// The workload's sizes.
const (
	wlVideos  = 30
	wlViewers = 16
	wlMedia   = 16 // videos 0..15 get media events
)

// world is what one run of the workload created, by stable name.
type world struct {
	videos   map[string]string // title -> id
	cats     map[string]string // name -> id
	genres   map[string]string
	cast     map[string]string
	plans    map[string]string
	users    map[string]auth.Session // email -> the session from registration
	userIDs  map[string]string       // email -> id, deleted users too
	mediaIDs []string
	poison   []platform.Event
}

// published are the videos viewers see (createVideos publishes the others
// but 10 and 20, and deletes 26 to 29).
var published = []int{0, 1, 2, 4, 5, 6, 8, 9, 12, 13, 14, 16, 17, 18, 21, 22, 24, 25}

func title(i int) string   { return fmt.Sprintf("Film %02d", i) }
func email(u int) string   { return fmt.Sprintf("viewer%02d@faults.test", u) }
func mediaID(i int) string { return fmt.Sprintf("%064x", i+1) }

func (w *world) viewer(u int) platform.Caller {
	return platform.Caller{UserID: w.users[email(u)].User.ID, Role: platform.RoleViewer}
}

// runWorkload drives the same sequence of calls and events on p every
// time: catalog administration, viewers, billing, media events, poison
// messages, and more of each after the poison.
func runWorkload(p *faultyPlatform) *world {
	w := &world{videos: map[string]string{}, cats: map[string]string{}, genres: map[string]string{},
		cast: map[string]string{}, plans: map[string]string{}, users: map[string]auth.Session{}, userIDs: map[string]string{}}
	w.taxonomy(p)
	w.createVideos(p)
	w.registerViewers(p)
	w.viewersAct(p)
	w.mediaEvents(p)
	p.drain()
	w.warmCache(p)
	w.poisonEvents(p)
	w.afterPoison(p)
	p.drain()
	return w
}

func (w *world) taxonomy(p *faultyPlatform) {
	t, ctx, a := p.t, context.Background(), p.admin
	for _, n := range []string{"Drama", "Comedy", "Action", "Docs", "Kids", "Horror"} {
		r, err := p.cat.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: a, Name: n})
		require.NoError(t, err)
		w.cats[n] = r.Category.ID
	}
	for _, n := range []string{"Noir", "Sci-fi", "Western", "Romance", "Thriller", "Musical"} {
		r, err := p.cat.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: a, Name: n})
		require.NoError(t, err)
		w.genres[n] = r.Genre.ID
	}
	for i := range 8 {
		typ := catalog.CastActor
		if i%4 == 3 {
			typ = catalog.CastDirector
		}
		n := fmt.Sprintf("Person %d", i)
		r, err := p.cat.CreateCastMember(ctx, catalog.CreateCastMemberRequest{Caller: a, Name: n, Type: typ})
		require.NoError(t, err)
		w.cast[n] = r.CastMember.ID
	}
	docs := "Documentary"
	_, err := p.cat.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: a, ID: w.cats["Docs"], Name: &docs})
	require.NoError(t, err)
	_, err = p.cat.UpdateGenre(ctx, catalog.UpdateGenreRequest{Caller: a, ID: w.genres["Sci-fi"], Name: "Science fiction"})
	require.NoError(t, err)
	renamed := "Person Seven"
	_, err = p.cat.UpdateCastMember(ctx, catalog.UpdateCastMemberRequest{Caller: a, ID: w.cast["Person 7"], Name: &renamed})
	require.NoError(t, err)
}

func (w *world) createVideos(p *faultyPlatform) {
	t, ctx, a := p.t, context.Background(), p.admin
	cats := []string{"Drama", "Comedy", "Action", "Docs", "Kids", "Horror"}
	genres := []string{"Noir", "Sci-fi", "Western", "Romance", "Thriller", "Musical"}
	for i := range wlVideos {
		r, err := p.cat.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: a, Input: catalog.VideoInput{
			Title: title(i), Description: fmt.Sprintf("The story number %d", i), ReleaseYear: 1990 + i%7,
			DurationSeconds: 600 + i, AgeRating: catalog.RatingPG,
			CategoryIDs: []string{w.cats[cats[i%6]]},
			GenreIDs:    []string{w.genres[genres[i%6]], w.genres[genres[(i+1)%6]]},
			CastIDs:     []string{w.cast[fmt.Sprintf("Person %d", i%8)]},
			Tags:        []string{fmt.Sprintf("t%d", i%4)},
		}})
		require.NoError(t, err)
		w.videos[title(i)] = r.Video.ID
	}
	for i := range wlVideos {
		id := w.videos[title(i)]
		if i%3 == 0 {
			desc, tags := fmt.Sprintf("The story number %d, updated", i), []string{fmt.Sprintf("t%d", i%4), "classic"}
			_, err := p.cat.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: a, ID: id, Patch: catalog.VideoPatch{Description: &desc, Tags: &tags}})
			require.NoError(t, err)
		}
		if i%4 != 3 {
			_, err := p.cat.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: a, ID: id, Published: true})
			require.NoError(t, err)
		}
	}
	for _, i := range []int{10, 20} {
		_, err := p.cat.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: a, ID: w.videos[title(i)], Published: false})
		require.NoError(t, err)
	}
	_, err := p.cat.DeleteCategory(ctx, catalog.DeleteCategoryRequest{Caller: a, ID: w.cats["Horror"]})
	require.NoError(t, err)
	_, err = p.cat.DeleteGenre(ctx, catalog.DeleteGenreRequest{Caller: a, ID: w.genres["Musical"]})
	require.NoError(t, err)
	_, err = p.cat.DeleteCastMember(ctx, catalog.DeleteCastMemberRequest{Caller: a, ID: w.cast["Person 5"]})
	require.NoError(t, err)
}

func (w *world) registerViewers(p *faultyPlatform) {
	t, ctx := p.t, context.Background()
	for u := range wlViewers {
		r, err := p.auth.Register(ctx, auth.RegisterRequest{Email: email(u), Password: "viewer password 1", DisplayName: fmt.Sprintf("Viewer %d", u)})
		require.NoError(t, err)
		w.users[email(u)] = r.Session
		w.userIDs[email(u)] = r.Session.User.ID
	}
	// A revocation refuses tokens issued before its whole second: let the
	// registrations' second pass so the outcome does not depend on timing.
	registered := time.Now().Unix()
	require.Eventually(t, func() bool { return time.Now().Unix() > registered }, 3*time.Second, 10*time.Millisecond)
}

// viewersAct tags, subscribes, watches; changes roles, passwords and
// sessions; deletes some viewers and videos.
func (w *world) viewersAct(p *faultyPlatform) {
	t, ctx, a := p.t, context.Background(), p.admin
	for i, n := range []string{"Basic", "Standard", "Premium"} {
		r, err := p.sub.CreatePlan(ctx, subscription.CreatePlanRequest{Caller: a, Input: subscription.PlanInput{
			Name: n, PriceMinor: int64(500 + 300*i), Currency: "USD", Period: subscription.Monthly,
			MaxResolution: []int{480, 720, 1080}[i], MaxStreams: i + 1}})
		require.NoError(t, err)
		w.plans[n] = r.Plan.ID
	}
	plans := []string{"Basic", "Standard", "Premium"}
	card := subscription.CardInput{Number: sandbox.CardApprove, ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "123"}
	for u := range wlViewers {
		v := w.viewer(u)
		for k := range 4 {
			vid := w.videos[title(published[(u*3+k)%len(published)])]
			_, err := p.cat.AddTags(ctx, catalog.AddTagsRequest{Caller: v, VideoID: vid, Tags: []string{"watch later", "fav", fmt.Sprintf("mine%d", u%3)}})
			require.NoError(t, err)
		}
		_, err := p.cat.RemoveTags(ctx, catalog.RemoveTagsRequest{Caller: v, VideoID: w.videos[title(published[u*3%len(published)])], Tags: []string{"fav"}})
		require.NoError(t, err)
		if u < 12 {
			_, err = p.sub.Subscribe(ctx, subscription.SubscribeRequest{Caller: v, PlanID: w.plans[plans[u%3]], Card: card})
			require.NoError(t, err)
			for k := range 2 {
				_, err = p.sub.RecordProgress(ctx, subscription.RecordProgressRequest{Caller: v,
					VideoID: w.videos[title(published[(u+k)%len(published)])], PositionSeconds: float64(30 * (u + k + 1)), DurationSeconds: 600})
				require.NoError(t, err)
			}
		}
		switch {
		case u < 4:
			_, err = p.sub.ChangePlan(ctx, subscription.ChangePlanRequest{Caller: v, PlanID: w.plans[plans[(u+1)%3]]})
		case u < 6:
			_, err = p.sub.Cancel(ctx, subscription.CancelRequest{Caller: v})
		}
		require.NoError(t, err)
	}
	for _, u := range []int{0, 1} {
		_, err := p.auth.SetUserRole(ctx, auth.SetUserRoleRequest{Caller: a, UserID: w.viewer(u).UserID, Role: platform.RoleAdmin})
		require.NoError(t, err)
	}
	_, err := p.auth.SetUserRole(ctx, auth.SetUserRoleRequest{Caller: a, UserID: w.viewer(1).UserID, Role: platform.RoleViewer})
	require.NoError(t, err)
	for _, u := range []int{2, 3} {
		_, err := p.auth.ChangePassword(ctx, auth.ChangePasswordRequest{Caller: w.viewer(u), OldPassword: "viewer password 1", NewPassword: "viewer password 2"})
		require.NoError(t, err)
	}
	for _, u := range []int{4, 5} {
		_, err := p.auth.Logout(ctx, auth.LogoutRequest{RefreshToken: w.users[email(u)].RefreshToken})
		require.NoError(t, err)
	}
	for _, u := range []int{13, 14, 15} {
		_, err := p.auth.DeleteUser(ctx, auth.DeleteUserRequest{Caller: a, UserID: w.viewer(u).UserID})
		require.NoError(t, err)
	}
	for i := 26; i < wlVideos; i++ {
		_, err := p.cat.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: a, ID: w.videos[title(i)]})
		require.NoError(t, err)
	}
}

// mediaEvents publishes what the upload endpoint and the encoder would:
// media that end READY, FAILED or still encoding, two re-uploads, one
// media shared by two videos, and media of a video deleted meanwhile.
func (w *world) mediaEvents(p *faultyPlatform) {
	upload := func(video, media int) {
		p.publish(encoder.Topic, encoder.EventUploadCompleted, encoder.UploadCompleted{VideoID: w.videos[title(video)],
			MediaID: mediaID(media), SourceKey: "media/" + mediaID(media) + "/source", Size: int64(1000 + media), Filename: fmt.Sprintf("clip%d.mp4", media)})
		w.mediaIDs = append(w.mediaIDs, mediaID(media))
	}
	progress := func(video, media int, pct float64) {
		p.publish(encoder.Topic, encoder.EventEncodingProgress, encoder.EncodingProgress{VideoID: w.videos[title(video)], MediaID: mediaID(media), Percent: pct})
	}
	done := func(video, media int) {
		p.publish(encoder.Topic, encoder.EventEncodingCompleted, encoder.EncodingCompleted{VideoID: w.videos[title(video)], MediaID: mediaID(media),
			Result: encoder.Result{DurationSeconds: 61, Width: 1280, Height: 720, HasAudio: true, Renditions: []encoder.Rendition{
				{Name: "360p", Width: 640, Height: 360}, {Name: "720p", Width: 1280, Height: 720}}}})
	}
	fail := func(video, media int) {
		p.publish(encoder.Topic, encoder.EventEncodingFailed, encoder.EncodingFailed{VideoID: w.videos[title(video)], MediaID: mediaID(media), Reason: "not a video"})
	}
	for i := range 12 {
		upload(i, i)
		progress(i, i, 25)
		progress(i, i, 60)
		switch {
		case i < 6:
			done(i, i)
		case i < 9:
			fail(i, i)
		}
	}
	for _, i := range []int{12, 13} {
		upload(i, i)
		done(i, i)
		upload(i, 100+i)
		progress(i, 100+i, 50)
		done(i, 100+i)
	}
	upload(14, 14)
	upload(15, 14)
	done(14, 14)
	done(15, 14)
	upload(27, 27) // deleted already
}

// warmCache reads through the BFF what its cache keeps, so that a change
// whose event the cache missed would be served stale at the end.
func (w *world) warmCache(p *faultyPlatform) {
	for i := range wlVideos {
		p.graphql("", `query($id: ID!) { video(id: $id) { title description } }`, map[string]any{"id": w.videos[title(i)]})
	}
	p.graphql("", `{ categories { name } genres { name } castMembers { name type } }`, nil)
}

// poisonEvents publishes a malformed event of each type a consumer
// decodes, on each topic that has consumers.
func (w *world) poisonEvents(p *faultyPlatform) {
	for _, pe := range poisonTable {
		ev, err := platform.NewEvent("faults-test", pe.topic, pe.typ, time.Now(), nil)
		require.NoError(p.t, err)
		ev.Data = []byte(pe.data)
		require.NoError(p.t, p.pub.Publish(context.Background(), ev))
		w.poison = append(w.poison, ev)
	}
}

// poisonTable lists the poison messages and the subscriptions that must
// drop each to the dead letters (those that ignore its type acknowledge it).
// Each is valid JSON of the wrong shape: the bus refuses to publish a
// payload that is not JSON at all.
var poisonTable = []struct {
	topic, typ, data string
	droppedBy        []string
}{
	{auth.Topic, auth.EventUserDeleted, `"garbage"`, []string{"users/catalog-user-deleted", "users/bff-revocations"}},
	{auth.Topic, auth.EventTokensRevoked, `{"userId":7,"notBefore":"yesterday"}`, []string{"users/bff-revocations"}},
	{catalog.Topic, catalog.EventVideoChanged, `{"video":[1,2]}`, []string{"catalog/catalog-projection", "catalog/bff-cache"}},
	{catalog.Topic, catalog.EventVideoDeleted, `{"videoId":["x"]}`, []string{"catalog/catalog-projection", "catalog/bff-cache"}},
	{catalog.Topic, catalog.EventTaxonomyChanged, `{"kind":"planet","id":"1"}`, []string{"catalog/catalog-projection"}},
	{encoder.Topic, encoder.EventUploadCompleted, `{"videoId":42}`, []string{"media/catalog-media", "media/encoder-uploads"}},
	{encoder.Topic, encoder.EventEncodingProgress, `{"videoId":"x","percent":"half"}`, []string{"media/catalog-media"}},
	{encoder.Topic, encoder.EventEncodingCompleted, `{"videoId":"not-an-id","mediaId":"m"}`, []string{"media/catalog-media"}},
}

// afterPoison changes every topic's state again: nothing may have stopped.
func (w *world) afterPoison(p *faultyPlatform) {
	t, ctx, a := p.t, context.Background(), p.admin
	newTitle := "Film 01, remastered"
	_, err := p.cat.UpdateVideo(ctx, catalog.UpdateVideoRequest{Caller: a, ID: w.videos[title(1)], Patch: catalog.VideoPatch{Title: &newTitle}})
	require.NoError(t, err)
	_, err = p.cat.DeleteVideo(ctx, catalog.DeleteVideoRequest{Caller: a, ID: w.videos[title(2)]})
	require.NoError(t, err)
	comedies := "Comedies"
	_, err = p.cat.UpdateCategory(ctx, catalog.UpdateCategoryRequest{Caller: a, ID: w.cats["Comedy"], Name: &comedies})
	require.NoError(t, err)
	_, err = p.cat.DeleteGenre(ctx, catalog.DeleteGenreRequest{Caller: a, ID: w.genres["Western"]})
	require.NoError(t, err)
	_, err = p.auth.SetUserRole(ctx, auth.SetUserRoleRequest{Caller: a, UserID: w.viewer(6).UserID, Role: platform.RoleAdmin})
	require.NoError(t, err)
	_, err = p.auth.DeleteUser(ctx, auth.DeleteUserRequest{Caller: a, UserID: w.viewer(12).UserID})
	require.NoError(t, err)
	p.publish(encoder.Topic, encoder.EventEncodingCompleted, encoder.EncodingCompleted{VideoID: w.videos[title(9)], MediaID: mediaID(9),
		Result: encoder.Result{DurationSeconds: 90, Width: 640, Height: 360, Renditions: []encoder.Rendition{{Name: "360p", Width: 640, Height: 360}}}})
	_, err = p.cat.AddTags(ctx, catalog.AddTagsRequest{Caller: w.viewer(7), VideoID: w.videos[title(0)], Tags: []string{"after poison"}})
	require.NoError(t, err)
}
