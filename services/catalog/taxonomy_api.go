package catalog

import (
	"context"
)

// CreateCategory creates a category (admin).
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindConflict for
// a name taken (case-insensitively).
func (s *Service) CreateCategory(ctx context.Context, req CreateCategoryRequest) (CreateCategoryResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return CreateCategoryResponse{}, op(MethodCreateCategory, err)
	}
	c, err := cleanCategory(Category{Name: req.Name, Description: req.Description})
	if err == nil {
		c.ID, err = newID()
	}
	if err == nil {
		err = createEntity(ctx, s, s.cats, c)
	}
	if err != nil {
		return CreateCategoryResponse{}, op(MethodCreateCategory, err)
	}
	return CreateCategoryResponse{Category: c}, nil
}

// UpdateCategory renames or redescribes a category (admin).
// Errors: as CreateCategory, and KindNotFound for an unknown id.
func (s *Service) UpdateCategory(ctx context.Context, req UpdateCategoryRequest) (UpdateCategoryResponse, error) {
	c, err := s.updateCategory(ctx, req)
	if err != nil {
		return UpdateCategoryResponse{}, op(MethodUpdateCategory, err)
	}
	return UpdateCategoryResponse{Category: c}, nil
}

func (s *Service) updateCategory(ctx context.Context, req UpdateCategoryRequest) (Category, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return Category{}, err
	}
	id, err := parseID(req.ID)
	var name, desc string
	if err == nil && req.Name != nil {
		name, err = cleanText("name", *req.Name, MaxNameLen)
	}
	if err == nil && req.Description != nil {
		desc, err = cleanDescription(*req.Description)
	}
	if err != nil {
		return Category{}, err
	}
	return updateEntity(ctx, s, s.cats, id, func(c *Category) {
		if req.Name != nil {
			c.Name = name
		}
		if req.Description != nil {
			c.Description = desc
		}
	})
}

// cleanCategory validates a category's name and description.
func cleanCategory(c Category) (Category, error) {
	var err error
	if c.Name, err = cleanText("name", c.Name, MaxNameLen); err != nil {
		return c, err
	}
	c.Description, err = cleanDescription(c.Description)
	return c, err
}

// DeleteCategory deletes a category and removes it from its videos (admin).
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindNotFound.
func (s *Service) DeleteCategory(ctx context.Context, req DeleteCategoryRequest) (DeleteCategoryResponse, error) {
	return DeleteCategoryResponse{}, op(MethodDeleteCategory, deleteByID(ctx, s, s.cats, req.Caller.RequireAdmin(), req.ID))
}

// ListCategories lists every category by name.
func (s *Service) ListCategories(ctx context.Context, req ListCategoriesRequest) (ListCategoriesResponse, error) {
	return ListCategoriesResponse{Categories: s.cats.list(nil)}, nil
}

// CreateGenre creates a genre (admin).
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindConflict for
// a name taken (case-insensitively).
func (s *Service) CreateGenre(ctx context.Context, req CreateGenreRequest) (CreateGenreResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return CreateGenreResponse{}, op(MethodCreateGenre, err)
	}
	name, err := cleanText("name", req.Name, MaxNameLen)
	g := Genre{Name: name}
	if err == nil {
		g.ID, err = newID()
	}
	if err == nil {
		err = createEntity(ctx, s, s.genres, g)
	}
	if err != nil {
		return CreateGenreResponse{}, op(MethodCreateGenre, err)
	}
	return CreateGenreResponse{Genre: g}, nil
}

// UpdateGenre renames a genre (admin).
// Errors: as CreateGenre, and KindNotFound for an unknown id.
func (s *Service) UpdateGenre(ctx context.Context, req UpdateGenreRequest) (UpdateGenreResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return UpdateGenreResponse{}, op(MethodUpdateGenre, err)
	}
	id, err := parseID(req.ID)
	var name string
	if err == nil {
		name, err = cleanText("name", req.Name, MaxNameLen)
	}
	var g Genre
	if err == nil {
		g, err = updateEntity(ctx, s, s.genres, id, func(g *Genre) { g.Name = name })
	}
	if err != nil {
		return UpdateGenreResponse{}, op(MethodUpdateGenre, err)
	}
	return UpdateGenreResponse{Genre: g}, nil
}

// DeleteGenre deletes a genre and removes it from its videos (admin).
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindNotFound.
func (s *Service) DeleteGenre(ctx context.Context, req DeleteGenreRequest) (DeleteGenreResponse, error) {
	return DeleteGenreResponse{}, op(MethodDeleteGenre, deleteByID(ctx, s, s.genres, req.Caller.RequireAdmin(), req.ID))
}

// ListGenres lists every genre by name.
func (s *Service) ListGenres(ctx context.Context, req ListGenresRequest) (ListGenresResponse, error) {
	return ListGenresResponse{Genres: s.genres.list(nil)}, nil
}

// CreateCastMember creates a cast member (admin).
// Errors: KindUnauthenticated, KindForbidden, KindInvalid, KindConflict for
// a name taken (case-insensitively).
func (s *Service) CreateCastMember(ctx context.Context, req CreateCastMemberRequest) (CreateCastMemberResponse, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return CreateCastMemberResponse{}, op(MethodCreateCastMember, err)
	}
	name, err := cleanText("name", req.Name, MaxNameLen)
	if err == nil {
		err = checkCastType(req.Type)
	}
	c := CastMember{Name: name, Type: req.Type}
	if err == nil {
		c.ID, err = newID()
	}
	if err == nil {
		err = createEntity(ctx, s, s.casts, c)
	}
	if err != nil {
		return CreateCastMemberResponse{}, op(MethodCreateCastMember, err)
	}
	return CreateCastMemberResponse{CastMember: c}, nil
}

// UpdateCastMember renames a cast member or changes their type (admin); the
// videos they appear in are indexed again under the new name.
// Errors: as CreateCastMember, and KindNotFound for an unknown id.
func (s *Service) UpdateCastMember(ctx context.Context, req UpdateCastMemberRequest) (UpdateCastMemberResponse, error) {
	c, err := s.updateCastMember(ctx, req)
	if err != nil {
		return UpdateCastMemberResponse{}, op(MethodUpdateCastMember, err)
	}
	return UpdateCastMemberResponse{CastMember: c}, nil
}

func (s *Service) updateCastMember(ctx context.Context, req UpdateCastMemberRequest) (CastMember, error) {
	if err := req.Caller.RequireAdmin(); err != nil {
		return CastMember{}, err
	}
	id, err := parseID(req.ID)
	if err != nil {
		return CastMember{}, err
	}
	var name string
	if req.Name != nil {
		if name, err = cleanText("name", *req.Name, MaxNameLen); err != nil {
			return CastMember{}, err
		}
	}
	if req.Type != nil {
		if err := checkCastType(*req.Type); err != nil {
			return CastMember{}, err
		}
	}
	return updateEntity(ctx, s, s.casts, id, func(c *CastMember) {
		if req.Name != nil {
			c.Name = name
		}
		if req.Type != nil {
			c.Type = *req.Type
		}
	})
}

// DeleteCastMember deletes a cast member and removes them from their videos
// (admin). Errors: KindUnauthenticated, KindForbidden, KindInvalid,
// KindNotFound.
func (s *Service) DeleteCastMember(ctx context.Context, req DeleteCastMemberRequest) (DeleteCastMemberResponse, error) {
	return DeleteCastMemberResponse{}, op(MethodDeleteCastMember, deleteByID(ctx, s, s.casts, req.Caller.RequireAdmin(), req.ID))
}

// ListCastMembers lists every cast member by name, optionally of one type.
// Errors: KindInvalid for an unknown type.
func (s *Service) ListCastMembers(ctx context.Context, req ListCastMembersRequest) (ListCastMembersResponse, error) {
	if req.Type != "" {
		if err := checkCastType(req.Type); err != nil {
			return ListCastMembersResponse{}, op(MethodListCastMembers, err)
		}
	}
	keep := func(c CastMember) bool { return req.Type == "" || c.Type == req.Type }
	return ListCastMembersResponse{CastMembers: s.casts.list(keep)}, nil
}

// GetTaxonomy returns the categories, genres and cast members with the given
// ids, in request order; unknown ids are left out.
// Errors: KindInvalid for a malformed id.
func (s *Service) GetTaxonomy(ctx context.Context, req GetTaxonomyRequest) (GetTaxonomyResponse, error) {
	cats, err := parseIDs(req.CategoryIDs)
	var genres, casts []string
	if err == nil {
		genres, err = parseIDs(req.GenreIDs)
	}
	if err == nil {
		casts, err = parseIDs(req.CastMemberIDs)
	}
	if err != nil {
		return GetTaxonomyResponse{}, op(MethodGetTaxonomy, err)
	}
	return GetTaxonomyResponse{
		Categories:  s.cats.pick(cats),
		Genres:      s.genres.pick(genres),
		CastMembers: s.casts.pick(casts),
	}, nil
}

// deleteByID checks the caller (authErr) and the id, then deletes.
func deleteByID[T comparable](ctx context.Context, s *Service, t *taxonomy[T], authErr error, rawID string) error {
	if authErr != nil {
		return authErr
	}
	id, err := parseID(rawID)
	if err != nil {
		return err
	}
	return deleteEntity(ctx, s, t, id)
}
