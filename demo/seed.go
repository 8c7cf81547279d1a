package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// Stats says what a Seed call created; a second call on the same data
// creates nothing.
type Stats struct {
	Categories, Genres, CastMembers, Videos int
}

// Seed loads the demo catalog through api as admin. It reuses whatever
// already exists by name or title, so it is safe to run on every start.
func Seed(ctx context.Context, api catalog.API, admin platform.Caller) (Stats, error) {
	var st Stats
	catIDs, n, err := seedCategories(ctx, api, admin)
	if err != nil {
		return st, err
	}
	st.Categories = n
	genreIDs, n, err := seedGenres(ctx, api, admin)
	if err != nil {
		return st, err
	}
	st.Genres = n
	castIDs, n, err := seedCast(ctx, api, admin)
	if err != nil {
		return st, err
	}
	st.CastMembers = n
	for _, v := range videos {
		created, err := seedVideo(ctx, api, admin, v, catIDs, genreIDs, castIDs)
		if err != nil {
			return st, err
		}
		if created {
			st.Videos++
		}
	}
	return st, nil
}

func key(name string) string { return strings.ToLower(name) }

// ensure returns the id of every wanted name, creating the missing ones;
// have maps the lower-cased names that exist to their ids.
func ensure(have map[string]string, want []string, create func(i int) (string, error)) (map[string]string, int, error) {
	created := 0
	for i, name := range want {
		if _, ok := have[key(name)]; ok {
			continue
		}
		id, err := create(i)
		if err != nil {
			return nil, 0, fmt.Errorf("demo: create %q: %w", name, err)
		}
		have[key(name)] = id
		created++
	}
	return have, created, nil
}

func seedCategories(ctx context.Context, api catalog.API, admin platform.Caller) (map[string]string, int, error) {
	list, err := api.ListCategories(ctx, catalog.ListCategoriesRequest{})
	if err != nil {
		return nil, 0, fmt.Errorf("demo: list categories: %w", err)
	}
	have, want := map[string]string{}, make([]string, len(categories))
	for _, c := range list.Categories {
		have[key(c.Name)] = c.ID
	}
	for i, c := range categories {
		want[i] = c.Name
	}
	return ensure(have, want, func(i int) (string, error) {
		resp, err := api.CreateCategory(ctx, catalog.CreateCategoryRequest{Caller: admin, Name: categories[i].Name, Description: categories[i].Description})
		return resp.Category.ID, err
	})
}

func seedGenres(ctx context.Context, api catalog.API, admin platform.Caller) (map[string]string, int, error) {
	list, err := api.ListGenres(ctx, catalog.ListGenresRequest{})
	if err != nil {
		return nil, 0, fmt.Errorf("demo: list genres: %w", err)
	}
	have := map[string]string{}
	for _, g := range list.Genres {
		have[key(g.Name)] = g.ID
	}
	return ensure(have, genres, func(i int) (string, error) {
		resp, err := api.CreateGenre(ctx, catalog.CreateGenreRequest{Caller: admin, Name: genres[i]})
		return resp.Genre.ID, err
	})
}

func seedCast(ctx context.Context, api catalog.API, admin platform.Caller) (map[string]string, int, error) {
	list, err := api.ListCastMembers(ctx, catalog.ListCastMembersRequest{})
	if err != nil {
		return nil, 0, fmt.Errorf("demo: list cast: %w", err)
	}
	have, want := map[string]string{}, make([]string, len(cast))
	for _, m := range list.CastMembers {
		have[key(m.Name)] = m.ID
	}
	for i, m := range cast {
		want[i] = m.Name
	}
	return ensure(have, want, func(i int) (string, error) {
		resp, err := api.CreateCastMember(ctx, catalog.CreateCastMemberRequest{Caller: admin, Name: cast[i].Name, Type: cast[i].Type})
		return resp.CastMember.ID, err
	})
}

func pick(names []string, ids map[string]string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		id, ok := ids[key(n)]
		if !ok {
			return nil, fmt.Errorf("demo: unknown name %q", n)
		}
		out = append(out, id)
	}
	return out, nil
}

func seedVideo(ctx context.Context, api catalog.API, admin platform.Caller, v video, cats, gens, cast map[string]string) (bool, error) {
	found, err := api.VideosByName(ctx, catalog.VideosByNameRequest{Caller: admin, Name: v.Title, Exact: true})
	if err != nil {
		return false, fmt.Errorf("demo: find video %q: %w", v.Title, err)
	}
	if len(found.Videos) > 0 {
		if !found.Videos[0].Published {
			_, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: found.Videos[0].ID, Published: true})
			return false, err
		}
		return false, nil
	}
	in := catalog.VideoInput{Title: v.Title, Description: v.Description, ReleaseYear: v.Year,
		DurationSeconds: v.Minutes * 60, AgeRating: v.Rating, Tags: v.Tags}
	if in.CategoryIDs, err = pick([]string{v.Category}, cats); err != nil {
		return false, err
	}
	if in.GenreIDs, err = pick(v.Genres, gens); err != nil {
		return false, err
	}
	if in.CastIDs, err = pick(v.Cast, cast); err != nil {
		return false, err
	}
	resp, err := api.CreateVideo(ctx, catalog.CreateVideoRequest{Caller: admin, Input: in})
	if err != nil {
		return false, fmt.Errorf("demo: create video %q: %w", v.Title, err)
	}
	if _, err := api.PublishVideo(ctx, catalog.PublishVideoRequest{Caller: admin, ID: resp.Video.ID, Published: true}); err != nil {
		return false, fmt.Errorf("demo: publish video %q: %w", v.Title, err)
	}
	return true, nil
}
