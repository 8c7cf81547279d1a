package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// The GraphQL queries the edge and Dapr sections load: the home page's
// browse (the newest 20 videos with categories, genres and cast) and a
// search with facets, as a signed-in viewer.
const (
	browseQuery = `{ videos(first: 20) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id title releaseYear durationSeconds ageRating
    categories { id name } genres { id name } cast { id name type } myTags } } } }`
	searchQuery = `{ search(query: "space odyssey", first: 20) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id title releaseYear categories { id name } genres { id name } cast { id name } } }
  facets { categories { category { id name } count } genres { genre { id name } count } years { year count } } } }`
)

// gqlQuery is one GraphQL request a load repeats.
type gqlQuery struct {
	Name  string
	Query string
}

var edgeQueries = []gqlQuery{{"browse", browseQuery}, {"search", searchQuery}}

// graphqlTarget posts q to baseURL/graphql with token and checks that the
// answer is 200 with data and no errors.
func graphqlTarget(name, baseURL, token string, q gqlQuery, procs ProcSet, client *http.Client) Target {
	body, _ := json.Marshal(map[string]any{"query": q.Query})
	return Target{Name: name, Procs: procs, Do: func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		out, err := fetch(client, req, http.StatusOK)
		if err != nil {
			return err
		}
		if bytes.Contains(out, []byte(`"errors"`)) || !bytes.HasPrefix(out, []byte(`{"data"`)) {
			return fmt.Errorf("%s: graphql errors: %.300s", q.Name, out)
		}
		return nil
	}}
}

// answer fetches one answer to q, for the ceiling to serve byte for byte.
func answer(ctx context.Context, baseURL, token string, q gqlQuery) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"query": q.Query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	out, err := fetch(http.DefaultClient, req, http.StatusOK)
	if err != nil {
		return nil, err
	}
	if bytes.Contains(out, []byte(`"errors"`)) {
		return nil, fmt.Errorf("%s: graphql errors: %.300s", q.Name, out)
	}
	return out, nil
}

// seedMarker records in a data dir that the bench catalog was seeded, so a
// later start on the same dir does not seed it twice.
func seedOnce(ctx context.Context, pl *Platform, dir string, n int) error {
	marker := filepath.Join(dir, fmt.Sprintf("bench-seeded-%d", n))
	if dir != "" {
		if _, err := os.Stat(marker); err == nil {
			return nil
		}
	}
	if err := pl.seedVideos(ctx, n); err != nil {
		return err
	}
	if dir == "" {
		return nil
	}
	return os.WriteFile(marker, []byte(strings.Repeat("x", 1)), 0o644)
}
