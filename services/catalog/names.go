package catalog

import (
	"context"
	"strings"

	"golang.org/x/text/cases"
)

// fold returns s case-folded (Unicode full case folding, so "STRASSE" and
// "straße" compare equal), for case-insensitive comparison and sorting.
func fold(s string) string {
	return cases.Fold().String(s)
}

// VideosByName returns the videos the caller may see whose title equals
// name (exact) or contains it, case-insensitively, ordered by title.
// Errors: KindInvalid for an empty name or one longer than MaxTitleLen.
func (s *Service) VideosByName(ctx context.Context, req VideosByNameRequest) (VideosByNameResponse, error) {
	name, err := cleanText("name", req.Name, MaxTitleLen)
	if err != nil {
		return VideosByNameResponse{}, op(MethodVideosByName, err)
	}
	want := fold(name)
	match := func(title string) bool { return strings.Contains(title, want) }
	if req.Exact {
		match = func(title string) bool { return title == want }
	}
	admin := req.Caller.IsAdmin()
	out := []Video{}
	s.proj.mu.RLock()
	defer s.proj.mu.RUnlock()
	for _, e := range s.proj.orders[orderByTitle] {
		if e.visibleTo(admin) && match(e.titleKey) {
			out = append(out, cloneVideo(e.v))
		}
	}
	return VideosByNameResponse{Videos: out}, nil
}
