package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gqlError is one entry of a GraphQL response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code is the stable extensions.code of the error.
func (e gqlError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// client talks GraphQL to one dflix instance, optionally with a token.
type client struct {
	url   string
	token string
	http  *http.Client
}

func newClient(baseURL string) *client {
	return &client{url: baseURL + "/graphql", http: &http.Client{Timeout: 30 * time.Second}}
}

func (c *client) withToken(tok string) *client {
	cp := *c
	cp.token = tok
	return &cp
}

// do sends one operation and returns the raw response; transport failures
// are returned as errors so durability tests can tell "not acknowledged".
func (c *client) do(query string, vars map[string]any) (gqlResponse, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return gqlResponse{}, err
	}
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return gqlResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return gqlResponse{}, err
	}
	defer resp.Body.Close()
	var out gqlResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return gqlResponse{}, fmt.Errorf("decode response (status %d): %w", resp.StatusCode, err)
	}
	return out, nil
}

// must runs an operation that has to succeed and decodes data into out.
func (c *client) must(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	resp, err := c.do(query, vars)
	require.NoError(t, err)
	require.Empty(t, resp.Errors, "query: %s", query)
	if out != nil {
		require.NoError(t, json.Unmarshal(resp.Data, out))
	}
}

// fails runs an operation that has to fail with code and returns its message.
func (c *client) fails(t *testing.T, code, query string, vars map[string]any) string {
	t.Helper()
	resp, err := c.do(query, vars)
	require.NoError(t, err)
	require.NotEmpty(t, resp.Errors, "expected %s for: %s", code, query)
	require.Equal(t, code, resp.Errors[0].Code(), "message: %s", resp.Errors[0].Message)
	return resp.Errors[0].Message
}

func mustDecode(resp gqlResponse, out any) error {
	return json.Unmarshal(resp.Data, out)
}
