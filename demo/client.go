package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// Client talks to a running dflix over its public HTTP API, as a frontend
// would: GraphQL for everything but the bytes of an upload, which go over
// tus. The demo media and the end-to-end tests use it.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string // an access token, sent as a bearer token when set
	HTTP    *http.Client
}

// GraphQLError is one error of a GraphQL response.
type GraphQLError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e GraphQLError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// GraphQLErrors are the errors of a response that had some.
type GraphQLErrors []GraphQLError

func (e GraphQLErrors) Error() string {
	msgs := make([]string, len(e))
	for i, x := range e {
		msgs[i] = x.Code() + ": " + x.Message
	}
	return "graphql: " + strings.Join(msgs, "; ")
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Do runs a GraphQL operation and decodes its data into out (which may be
// nil). A response with errors returns them as GraphQLErrors.
func (c *Client) Do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("demo: encode graphql request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("demo: graphql request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return fmt.Errorf("demo: graphql: %w", err)
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors GraphQLErrors   `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("demo: graphql: HTTP %d: %w", resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return r.Errors
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

// Login signs in and keeps the access token for the next calls.
func (c *Client) Login(ctx context.Context, email, password string) error {
	var out struct {
		Login struct{ AccessToken string } `json:"login"`
	}
	err := c.Do(ctx, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": email, "p": password}, &out)
	if err != nil {
		return fmt.Errorf("demo: login %s: %w", email, err)
	}
	c.Token = out.Login.AccessToken
	return nil
}

// CreateUpload asks for a tus upload URL for a video's media file; the URL
// is absolute.
func (c *Client) CreateUpload(ctx context.Context, videoID, filename string, size int64) (string, error) {
	var out struct {
		CreateUpload struct{ URL string } `json:"createUpload"`
	}
	err := c.Do(ctx, `mutation($v: ID!, $f: String!, $s: Int64!) { createUpload(videoId: $v, filename: $f, size: $s) { url } }`,
		map[string]any{"v": videoID, "f": filename, "s": size}, &out)
	if err != nil {
		return "", fmt.Errorf("demo: create upload for %s: %w", videoID, err)
	}
	u := out.CreateUpload.URL
	if strings.HasPrefix(u, "/") {
		u = c.BaseURL + u
	}
	return u, nil
}

// Offset asks a tus upload how many bytes it has (HEAD).
func (c *Client) Offset(ctx context.Context, uploadURL string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, uploadURL, nil)
	if err != nil {
		return 0, fmt.Errorf("demo: tus head: %w", err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, fmt.Errorf("demo: tus head: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("demo: tus head %s: HTTP %d", uploadURL, resp.StatusCode)
	}
	return strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
}

// Patch sends body as the bytes at offset (one tus PATCH) and returns the
// new offset.
func (c *Client) Patch(ctx context.Context, uploadURL string, offset int64, body io.Reader) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, uploadURL, body)
	if err != nil {
		return 0, fmt.Errorf("demo: tus patch: %w", err)
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	resp, err := c.http().Do(req)
	if err != nil {
		return 0, fmt.Errorf("demo: tus patch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("demo: tus patch at %d: HTTP %d: %s", offset, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
}

// UploadFile sends the file at path to a tus upload in PATCHes of chunk
// bytes, starting from the offset the server reports, so a call after an
// interruption resumes.
func (c *Client) UploadFile(ctx context.Context, uploadURL, path string, chunk int64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("demo: upload: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("demo: upload: %w", err)
	}
	offset, err := c.Offset(ctx, uploadURL)
	if err != nil {
		return err
	}
	for offset < st.Size() {
		n := min(chunk, st.Size()-offset)
		next, err := c.Patch(ctx, uploadURL, offset, io.NewSectionReader(f, offset, n))
		if err != nil {
			return err
		}
		if next <= offset {
			return errors.New("demo: upload: the server did not advance the offset")
		}
		offset = next
	}
	return nil
}
