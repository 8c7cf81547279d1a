package catalog

import (
	"context"
	"slices"
)

// cleanInput validates a new video's fields and returns the video they make
// (without id, status or times). Reference ids are checked for form here and
// for existence by checkRefs.
func cleanInput(in VideoInput, year int) (Video, error) {
	p := VideoPatch{
		Title: &in.Title, Description: &in.Description, ReleaseYear: &in.ReleaseYear,
		DurationSeconds: &in.DurationSeconds, AgeRating: &in.AgeRating,
		CategoryIDs: &in.CategoryIDs, GenreIDs: &in.GenreIDs, CastIDs: &in.CastIDs, Tags: &in.Tags,
	}
	clean, err := cleanPatch(p, year)
	if err != nil {
		return Video{}, err
	}
	var v Video
	clean.apply(&v)
	return v, nil
}

// videoPatch is a VideoPatch whose set fields are validated and normalized.
type videoPatch VideoPatch

// cleanPatch validates and normalizes the set fields of p; year is the
// current year.
func cleanPatch(p VideoPatch, year int) (videoPatch, error) {
	var err error
	if p.Title != nil {
		p.Title, err = ptr(cleanText("title", *p.Title, MaxTitleLen))
	}
	if err == nil && p.Description != nil {
		p.Description, err = ptr(cleanDescription(*p.Description))
	}
	if err == nil && p.ReleaseYear != nil {
		err = checkYear(*p.ReleaseYear, year)
	}
	if err == nil && p.DurationSeconds != nil {
		err = checkDuration(*p.DurationSeconds)
	}
	if err == nil && p.AgeRating != nil {
		err = checkRating(*p.AgeRating)
	}
	for _, ids := range []**[]string{&p.CategoryIDs, &p.GenreIDs, &p.CastIDs} {
		if err == nil && *ids != nil {
			*ids, err = ptr(cleanRefs(**ids))
		}
	}
	if err == nil && p.Tags != nil {
		p.Tags, err = ptr(normalizeTags(*p.Tags, MaxTagsPerVideo))
	}
	return videoPatch(p), err
}

// ptr returns a pointer to v, passing err through.
func ptr[T any](v T, err error) (*T, error) { return &v, err }

// cleanRefs checks the form of reference ids and drops duplicates.
func cleanRefs(ids []string) ([]string, error) {
	out, err := parseIDs(ids)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	return slices.DeleteFunc(out, func(id string) bool {
		dup := seen[id]
		seen[id] = true
		return dup
	}), nil
}

// apply sets the patched fields of v.
func (p videoPatch) apply(v *Video) {
	set(&v.Title, p.Title)
	set(&v.Description, p.Description)
	set(&v.ReleaseYear, p.ReleaseYear)
	set(&v.DurationSeconds, p.DurationSeconds)
	set(&v.AgeRating, p.AgeRating)
	set(&v.CategoryIDs, p.CategoryIDs)
	set(&v.GenreIDs, p.GenreIDs)
	set(&v.CastIDs, p.CastIDs)
	set(&v.Tags, p.Tags)
	for _, s := range []*[]string{&v.CategoryIDs, &v.GenreIDs, &v.CastIDs, &v.Tags} {
		if *s == nil {
			*s = []string{}
		}
	}
}

// set stores *from in *to when from is not nil.
func set[T any](to *T, from *T) {
	if from != nil {
		*to = *from
	}
}

// checkRefs checks that the category, genre and cast ids that next
// references and cur does not exist in the state.
// Errors: KindInvalid naming the first unknown id.
func (s *Service) checkRefs(ctx context.Context, cur, next *Video) error {
	type ref struct{ label, key, id string }
	var refs []ref
	add := func(label, prefix string, before, after []string) {
		for _, id := range after {
			if !slices.Contains(before, id) {
				refs = append(refs, ref{label, prefix + id, id})
			}
		}
	}
	add(s.cats.label, s.cats.prefix, cur.CategoryIDs, next.CategoryIDs)
	add(s.genres.label, s.genres.prefix, cur.GenreIDs, next.GenreIDs)
	add(s.casts.label, s.casts.prefix, cur.CastIDs, next.CastIDs)
	if len(refs) == 0 {
		return nil
	}
	keys := make([]string, len(refs))
	for i, r := range refs {
		keys[i] = r.key
	}
	items, err := s.bulkGet(ctx, keys)
	if err != nil {
		return err
	}
	found := make(map[string]bool, len(items))
	for _, it := range items {
		found[it.Key] = true
	}
	for _, r := range refs {
		if !found[r.key] {
			return invalid("unknown %s %q", r.label, r.id)
		}
	}
	return nil
}
