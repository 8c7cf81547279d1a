package bff_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/catalog"
	"github.com/dflix/dflix/services/platform"
)

// leaks are what an internal failure must never show a client: the
// failure's own words, Go source paths, stack traces, pointers, runtime and
// panic wording.
var leaks = []string{
	"corrupt", "/var/lib", "out of range", "secret-table", // the causes below
	".go:", "/work/", "goroutine", "runtime.", "panic", "0xc0", "debug.Stack", "[recovered]",
}

func assertNoLeaks(t *testing.T, body string) {
	t.Helper()
	for _, leak := range leaks {
		assert.NotContains(t, body, leak)
	}
}

// failWith returns a hook that makes one catalog method fail as fail says.
func failWith(method string, fail func() error) func(string) error {
	return func(m string) error {
		if m == method {
			return fail()
		}
		return nil
	}
}

// TestInternalErrorsStayInside: unclassified errors, internal errors with
// wrapped causes and panics, at the root, in nested fields (through the
// dataloaders) and in mutations, reach the client as INTERNAL "internal
// error" and nothing more; the cause goes to the log, and the server keeps
// serving.
func TestInternalErrorsStayInside(t *testing.T) {
	corrupt := func() error { return errors.New("bolt: database file /var/lib/dflix/catalog.db is corrupt at page 42") }
	wrapped := func() error {
		return fmt.Errorf("catalog: read secret-table: %w", platform.E(platform.KindInternal, "state read failed", corrupt()))
	}
	outOfRange := func() error { panic("index out of range [7] with length 3") }
	nilPointer := func() error {
		var v *catalog.Video
		_ = v.Title // a real runtime error, with its own wording
		return nil
	}
	panicErr := func() error { panic(fmt.Errorf("at 0xc000123456: %w", corrupt())) }
	videos := `{ videos { totalCount } }`
	nested := `{ videos(first: 5) { edges { node { title categories { name } } } } }`
	tags := `{ videos(first: 5) { edges { node { title myTags } } } }`
	tests := []struct {
		name    string
		token   func(s *stack) string
		query   string
		vars    func(s *stack) map[string]any
		hook    func(string) error
		logWant string
	}{
		{"unclassified error", nil, videos, nil, failWith(catalog.MethodListVideos, corrupt), "is corrupt"},
		{"internal error wrapping its cause", nil, videos, nil, failWith(catalog.MethodListVideos, wrapped), "secret-table"},
		{"panic", nil, videos, nil, failWith(catalog.MethodListVideos, outOfRange), "index out of range"},
		{"nil pointer dereference", nil, videos, nil, failWith(catalog.MethodListVideos, nilPointer), "nil pointer"},
		{"panic with an error value", nil, videos, nil, failWith(catalog.MethodListVideos, panicErr), "0xc000123456"},
		{"error in a nested field", nil, nested, nil, failWith(catalog.MethodGetTaxonomy, corrupt), "is corrupt"},
		{"panic in a nested field", nil, nested, nil, failWith(catalog.MethodGetTaxonomy, outOfRange), ""},
		{"panic in a viewer's nested field", func(s *stack) string { return s.viewer.token }, tags, nil, failWith(catalog.MethodUserTags, outOfRange), ""},
		{"panic in a mutation", func(s *stack) string { return s.viewer.token }, `mutation($id: ID!) { recordProgress(videoId: $id, positionSeconds: 3) { positionSeconds } }`,
			func(s *stack) map[string]any { return map[string]any{"id": s.fixture.video} }, failWith(catalog.MethodGetVideo, outOfRange), "index out of range"},
	}
	s := newStack(t, stackOptions{})
	s.newVideo(unique("Categorized"), true) // the fixture's own video has no taxonomy to load
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, vars := "", map[string]any(nil)
			if tt.token != nil {
				token = tt.token(s)
			}
			if tt.vars != nil {
				vars = tt.vars(s)
			}
			s.calls.setHook(tt.hook)
			defer s.calls.setHook(nil)
			raw, res := doRaw(t, s, token, tt.query, vars)
			require.NotEmpty(t, res.Errors, raw)
			for _, e := range res.Errors {
				assert.Equal(t, bff.CodeInternal, e.Extensions["code"], raw)
				assert.Equal(t, "internal error", e.Message)
				assert.Equal(t, []string{"code"}, keys(e.Extensions), "no other extensions")
			}
			assertNoLeaks(t, raw)
			assert.Contains(t, s.logs.String(), tt.logWant)

			s.calls.setHook(nil)
			res = s.do(t, token, tt.query, vars)
			assert.Empty(t, res.Errors, "the server keeps serving: %s", res.String())
		})
	}
}

// TestSubscriptionPanicStaysInside: a panic while starting a subscription
// reaches the websocket client as INTERNAL, without its cause.
func TestSubscriptionPanicStaysInside(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	s.calls.setHook(failWith(catalog.MethodGetVideo, func() error { panic("index out of range [7] with length 3 in /work/main/bff/mediagw.go:170") }))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connectWS(t, ctx, s, s.admin.token)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
		"query": `subscription($id: ID!) { encodingProgress(videoId: $id) { status } }`, "variables": map[string]any{"id": s.fixture.video}}}))
	m := read(t, ctx, c)
	var res gqlResult
	if m.Type == "next" {
		require.NoError(t, json.Unmarshal(m.Payload, &res))
	} else {
		require.Equal(t, "error", m.Type, string(m.Payload))
		require.NoError(t, json.Unmarshal(m.Payload, &res.Errors))
	}
	require.Equal(t, bff.CodeInternal, res.code(), string(m.Payload))
	assert.Equal(t, "internal error", res.Errors[0].Message)
	assertNoLeaks(t, string(m.Payload))
	assert.Contains(t, s.logs.String(), "index out of range")

	s.calls.setHook(nil)
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "2", "payload": map[string]any{"query": "{ me { id } }"}}))
	m = read(t, ctx, c)
	for m.ID != "2" { // the first subscription's "complete" may come first
		m = read(t, ctx, c)
	}
	assert.Equal(t, "next", m.Type, "the connection keeps serving: %s", m.Payload)
	assert.Contains(t, string(m.Payload), s.admin.id)
}

// doRaw is stack.do that also returns the body as sent.
func doRaw(t *testing.T, s *stack, token, query string, vars map[string]any) (string, gqlResult) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	_, raw := s.send(t, req)
	var res gqlResult
	require.NoError(t, json.Unmarshal(raw, &res), "body: %s", raw)
	return string(raw), res
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
