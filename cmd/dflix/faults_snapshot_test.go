package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/subscription"
)

// snapshot is every service's observable final state, keyed by what is
// the same in every run (titles, names, emails, media ids), never by ids.
type snapshot struct {
	Videos     map[string]string   // title -> the video as the catalog answers it
	Search     map[string][]string // query -> hits in order, total, facets
	Taxonomy   []string
	UserTags   map[string][]string // email -> "title: tags"
	ByTags     map[string][]string // "email tag" -> titles
	Users      map[string]string   // email -> role
	Billing    map[string]string   // email -> subscription
	Invoices   map[string][]string // email -> invoices
	Progress   map[string][]string // email -> watch history
	Jobs       map[string]string   // media id -> encoder job
	BFFVideos  map[string]string   // title -> the BFF's (cached) answer
	BFFTaxa    string
	TokenCodes map[string]string // email -> the BFF's answer to the registration token
}

// names turns the run's ids into stable names.
type names struct {
	title map[string]string // video id -> current title ("deleted <title>" when gone)
	taxon map[string]string // taxonomy id -> name
}

func takeSnapshot(p *faultyPlatform, w *world) snapshot {
	t, ctx, a := p.t, context.Background(), p.admin
	s := snapshot{Videos: map[string]string{}, Search: map[string][]string{}, UserTags: map[string][]string{}, ByTags: map[string][]string{},
		Users: map[string]string{}, Billing: map[string]string{}, Invoices: map[string][]string{}, Progress: map[string][]string{},
		Jobs: map[string]string{}, BFFVideos: map[string]string{}, TokenCodes: map[string]string{}}
	n := names{title: map[string]string{}, taxon: map[string]string{}}
	for ttl, id := range w.videos {
		n.title[id] = "deleted " + ttl
	}
	s.Taxonomy = n.loadTaxonomy(p)

	list, err := p.cat.ListVideos(ctx, catalog.ListVideosRequest{Caller: a, Order: catalog.VideoOrder{Field: catalog.OrderTitle}, Page: catalog.Page{First: 100}})
	require.NoError(t, err)
	for _, v := range list.Page.Videos {
		n.title[v.ID] = v.Title
		s.Videos[v.Title] = n.video(v)
	}
	s.Videos["total"] = fmt.Sprint(list.Page.TotalCount)

	for _, q := range []string{"film", "updated", "classic", "person", "story"} {
		for _, c := range []platform.Caller{a, w.viewer(7)} {
			r, err := p.cat.Search(ctx, catalog.SearchRequest{Caller: c, Query: q, Page: catalog.Page{First: 50}})
			require.NoError(t, err)
			key := fmt.Sprintf("%s as %s", q, c.Role)
			s.Search[key] = append(n.titles(r.Page.Videos), fmt.Sprint("total ", r.Page.TotalCount))
			for _, f := range [][]catalog.FacetValue{r.Facets.Categories, r.Facets.Genres, r.Facets.Years} {
				for _, fv := range f {
					s.Search[key] = append(s.Search[key], fmt.Sprintf("facet %s=%d", n.name(fv.Value), fv.Count))
				}
			}
		}
	}
	allIDs := make([]string, 0, len(w.videos))
	for _, id := range w.videos {
		allIDs = append(allIDs, id)
	}
	for em, id := range w.userIDs {
		c := platform.Caller{UserID: id, Role: platform.RoleViewer}
		r, err := p.cat.UserTags(ctx, catalog.UserTagsRequest{Caller: c, VideoIDs: allIDs})
		require.NoError(t, err)
		for vid, tags := range r.Tags {
			s.UserTags[em] = append(s.UserTags[em], fmt.Sprintf("%s: %s", n.title[vid], strings.Join(tags, ",")))
		}
		slices.Sort(s.UserTags[em])
		for _, tag := range []string{"watch later", "fav", "mine0", "after poison"} {
			r, err := p.cat.VideosByTags(ctx, catalog.VideosByTagsRequest{Caller: c, Tags: []string{tag}})
			require.NoError(t, err)
			if len(r.Videos) > 0 {
				s.ByTags[em+" "+tag] = n.titles(r.Videos)
			}
		}
		s.billing(p, em, c, n)
	}
	s.users(p)
	s.jobs(p, w, n)
	s.bff(p, w, n)
	return s
}

func (n names) loadTaxonomy(p *faultyPlatform) []string {
	ctx := context.Background()
	var out []string
	cats, err := p.cat.ListCategories(ctx, catalog.ListCategoriesRequest{})
	require.NoError(p.t, err)
	for _, c := range cats.Categories {
		n.taxon[c.ID] = c.Name
		out = append(out, "category "+c.Name)
	}
	genres, err := p.cat.ListGenres(ctx, catalog.ListGenresRequest{})
	require.NoError(p.t, err)
	for _, g := range genres.Genres {
		n.taxon[g.ID] = g.Name
		out = append(out, "genre "+g.Name)
	}
	cast, err := p.cat.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
	require.NoError(p.t, err)
	for _, c := range cast.CastMembers {
		n.taxon[c.ID] = c.Name
		out = append(out, fmt.Sprintf("cast %s %s", c.Name, c.Type))
	}
	return out
}

// name is the name of a taxonomy id, or the value itself (a year).
func (n names) name(v string) string {
	if name, ok := n.taxon[v]; ok {
		return name
	}
	return v
}

func (n names) titles(videos []catalog.Video) []string {
	out := make([]string, len(videos))
	for i, v := range videos {
		out[i] = v.Title
	}
	return out
}

// video renders what a viewer of the catalog sees of v, without ids,
// times and version (the number of changes depends on the order events
// arrive in; the outcome must not).
func (n names) video(v catalog.Video) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q year=%d dur=%d rating=%s status=%s published=%t tags=%v", v.Description, v.ReleaseYear,
		v.DurationSeconds, v.AgeRating, v.Status, v.Published, v.Tags)
	for _, ids := range [][]string{v.CategoryIDs, v.GenreIDs, v.CastIDs} {
		var ns []string
		for _, id := range ids {
			ns = append(ns, n.name(id))
		}
		fmt.Fprintf(&b, " %v", ns)
	}
	if m := v.Media; m != nil {
		var rs []string
		for _, r := range m.Renditions {
			rs = append(rs, r.Name)
		}
		fmt.Fprintf(&b, " media=%s…%s status=%s percent=%.1f file=%s size=%d reason=%q renditions=%v",
			m.ID[:4], m.ID[len(m.ID)-4:], m.Status, m.Percent, m.Filename, m.Size, m.Reason, rs)
	}
	return b.String()
}

func (s *snapshot) billing(p *faultyPlatform, em string, c platform.Caller, n names) {
	t, ctx := p.t, context.Background()
	plans, err := p.sub.ListPlans(ctx, subscription.ListPlansRequest{Caller: p.admin})
	require.NoError(t, err)
	planName := map[string]string{}
	for _, pl := range plans.Plans {
		planName[pl.ID] = pl.Name
	}
	sub, err := p.sub.GetSubscription(ctx, subscription.GetSubscriptionRequest{Caller: c})
	require.NoError(t, err)
	if sub.Found {
		s.Billing[em] = fmt.Sprintf("%s %s next=%s", planName[sub.Subscription.PlanID], sub.Subscription.Status, planName[sub.Subscription.NextPlanID])
	}
	inv, err := p.sub.ListInvoices(ctx, subscription.ListInvoicesRequest{Caller: c, First: 50})
	require.NoError(t, err)
	for _, i := range inv.Invoices {
		s.Invoices[em] = append(s.Invoices[em], fmt.Sprintf("%s %d %s %s", planName[i.PlanID], i.AmountMinor, i.Currency, i.Status))
	}
	hist, err := p.sub.WatchHistory(ctx, subscription.WatchHistoryRequest{Caller: c, First: 50})
	require.NoError(t, err)
	for _, h := range hist.Items {
		s.Progress[em] = append(s.Progress[em], fmt.Sprintf("%s %.0f/%.0f", n.title[h.VideoID], h.PositionSeconds, h.DurationSeconds))
	}
	slices.Sort(s.Progress[em])
}

func (s *snapshot) users(p *faultyPlatform) {
	r, err := p.auth.ListUsers(context.Background(), auth.ListUsersRequest{Caller: p.admin, First: 100})
	require.NoError(p.t, err)
	for _, u := range r.Users {
		s.Users[u.Email] = string(u.Role)
	}
	s.Users["total"] = fmt.Sprint(r.TotalCount)
}

func (s *snapshot) jobs(p *faultyPlatform, w *world, n names) {
	for _, id := range w.mediaIDs {
		r, err := p.enc.GetJob(context.Background(), encoder.GetJobRequest{Caller: p.admin, MediaID: id})
		require.NoError(p.t, err)
		var videos []string
		for _, v := range r.Job.VideoIDs {
			videos = append(videos, n.title[v])
		}
		s.Jobs[id[:4]+"…"+id[len(id)-4:]] = fmt.Sprintf("%s n=%d videos=%q", r.Job.Status, len(videos), videos)
	}
}

// bff asks the BFF, whose cache was warmed before the last changes, for
// the videos and taxonomy, and each viewer's registration token for "me".
func (s *snapshot) bff(p *faultyPlatform, w *world, n names) {
	for _, id := range w.videos {
		r := p.graphql("", `query($id: ID!) { video(id: $id) { title description tags categories { name } genres { name } media { status percent } } }`,
			map[string]any{"id": id})
		s.BFFVideos[n.title[id]] = r.code() + " " + string(r.Data)
	}
	s.BFFTaxa = string(p.graphql("", `{ categories { name } genres { name } castMembers { name type } }`, nil).Data)
	for em, sess := range w.users {
		s.TokenCodes[em] = p.graphql(sess.AccessToken, `{ me { email role } }`, nil).code()
	}
}
