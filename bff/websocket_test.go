package bff_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/auth"
	"github.com/dflix/dflix/services/encoder"
	"github.com/dflix/dflix/services/platform"
)

type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func dialGraphQL(t *testing.T, s *stack, origin string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	header := http.Header{}
	if origin != "" {
		header.Set("Origin", origin)
	}
	url := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/graphql"
	return websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
}

// connectWS opens the websocket as a non-browser client, sends
// connection_init with the token and waits for the ack. The connection is
// closed at the end of the test.
func connectWS(t *testing.T, ctx context.Context, s *stack, token string) *websocket.Conn {
	t.Helper()
	c, _, err := dialGraphQL(t, s, "")
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + token}}))
	require.Equal(t, "connection_ack", read(t, ctx, c).Type)
	return c
}

// read returns the next message that is not a keep-alive ping.
func read(t *testing.T, ctx context.Context, c *websocket.Conn) wsMessage {
	t.Helper()
	for {
		var m wsMessage
		require.NoError(t, wsjson.Read(ctx, c, &m))
		if m.Type != "ping" && m.Type != "pong" && m.Type != "ka" {
			return m
		}
	}
}

func TestWebsocket(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true, cfg: bff.Config{AllowedOrigins: []string{"app.dflix.test"}}})
	tests := []struct {
		name     string
		payload  map[string]any
		wantCode string // of the `me` query; "" for data
		refused  bool   // connection_init is refused
	}{
		{"Authorization with Bearer", map[string]any{"Authorization": "Bearer " + s.viewer.token}, "", false},
		{"lower-case authorization", map[string]any{"authorization": "Bearer " + s.viewer.token}, "", false},
		{"bare token", map[string]any{"token": s.viewer.token}, "", false},
		{"anonymous", map[string]any{}, bff.CodeUnauthenticated, false},
		{"bad token", map[string]any{"Authorization": "Bearer not-a-token"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, _, err := dialGraphQL(t, s, "http://app.dflix.test")
			require.NoError(t, err)
			defer c.CloseNow()
			require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "connection_init", "payload": tt.payload}))
			if tt.refused {
				var m wsMessage
				for err == nil {
					err = wsjson.Read(ctx, c, &m)
				}
				assert.Equal(t, websocket.StatusCode(4403), websocket.CloseStatus(err), "closed as Forbidden: %v", err)
				return
			}
			require.Equal(t, "connection_ack", read(t, ctx, c).Type)
			require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": "1",
				"payload": map[string]any{"query": "{ me { email } }"}}))
			next := read(t, ctx, c)
			require.Equal(t, "next", next.Type, string(next.Payload))
			var res gqlResult
			require.NoError(t, json.Unmarshal(next.Payload, &res))
			assert.Equal(t, tt.wantCode, res.code(), res.String())
			if tt.wantCode == "" {
				assert.JSONEq(t, `{"email":"`+viewerEmail+`"}`, string(res.Data["me"]))
			}
			assert.Equal(t, "complete", read(t, ctx, c).Type)
		})
	}
}

func TestWebsocketOrigin(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true, cfg: bff.Config{AllowedOrigins: []string{"app.dflix.test"}}})
	_, resp, err := dialGraphQL(t, s, "https://evil.example")
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	c, _, err := dialGraphQL(t, s, "")
	require.NoError(t, err, "non-browser clients send no Origin")
	c.CloseNow()
}

// TestWebsocketRevokedMidConnection: a connection authenticated at init
// stops running operations once the user's tokens are revoked.
func TestWebsocketRevokedMidConnection(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := connectWS(t, ctx, s, s.viewer.token)

	me := func(id string) gqlResult {
		require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": id, "payload": map[string]any{"query": "{ me { id } }"}}))
		m := read(t, ctx, c)
		var res gqlResult
		if m.Type == "next" {
			require.NoError(t, json.Unmarshal(m.Payload, &res))
			require.Equal(t, "complete", read(t, ctx, c).Type)
		} else {
			require.Equal(t, "error", m.Type, string(m.Payload))
			require.NoError(t, json.Unmarshal(m.Payload, &res.Errors))
		}
		return res
	}
	require.Empty(t, me("1").Errors)

	ev, err := platform.NewEvent("auth", auth.Topic, auth.EventUserDeleted, time.Now(), auth.UserDeleted{UserID: s.viewer.id})
	require.NoError(t, err)
	require.NoError(t, s.server.Subscriptions()[0].Handle(ctx, ev))
	assert.Equal(t, bff.CodeUnauthenticated, me("2").code())
}

// TestWebsocketOperationLimit: one connection runs at most 50 operations at
// once; the next is refused with OPERATION_LIMIT_EXCEEDED until one ends,
// and other connections are not affected.
func TestWebsocketOperationLimit(t *testing.T) {
	s := newStack(t, stackOptions{serveTCP: true})
	video := s.newVideo(unique("Watched"), true)
	s.mediaEvent(encoder.EventUploadCompleted, encoder.UploadCompleted{VideoID: video, MediaID: strings.Repeat("f", 64), Filename: "a.mp4", Size: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// subscribe starts a long-lived encodingProgress stream (the media stays
	// PENDING) and returns its first message.
	subscribe := func(c *websocket.Conn, id string) wsMessage {
		t.Helper()
		require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "subscribe", "id": id, "payload": map[string]any{
			"query": `subscription($id: ID!) { encodingProgress(videoId: $id) { status } }`, "variables": map[string]any{"id": video}}}))
		m := read(t, ctx, c)
		require.Equal(t, id, m.ID, "one stream answers at a time here")
		return m
	}
	refusal := func(m wsMessage) string {
		t.Helper()
		var res gqlResult
		if m.Type == "next" {
			require.NoError(t, json.Unmarshal(m.Payload, &res))
		}
		return res.code()
	}

	c := connectWS(t, ctx, s, s.admin.token)
	const limit = 50
	for i := range limit {
		m := subscribe(c, fmt.Sprint(i))
		require.Equal(t, "", refusal(m), "operation %d of %d runs: %s", i+1, limit, m.Payload)
	}
	m := subscribe(c, "over")
	assert.Equal(t, bff.CodeOperationLimit, refusal(m), string(m.Payload))
	assert.Equal(t, "complete", read(t, ctx, c).Type, "the refused operation ends")

	other := connectWS(t, ctx, s, s.admin.token)
	assert.Equal(t, "", refusal(subscribe(other, "1")), "the limit is per connection")

	// Stopping a stream frees its place. gqlgen confirms with a complete of
	// its own; the count drops as the operation's context ends, just after.
	require.NoError(t, wsjson.Write(ctx, c, map[string]any{"type": "complete", "id": "0"}))
	m = read(t, ctx, c)
	require.Equal(t, wsMessage{Type: "complete", ID: "0"}, m)
	for i := 0; ; i++ {
		id := fmt.Sprint("again", i)
		m := subscribe(c, id)
		if refusal(m) == "" {
			break
		}
		require.Equal(t, bff.CodeOperationLimit, refusal(m))
		require.Equal(t, wsMessage{Type: "complete", ID: id}, read(t, ctx, c))
		require.Less(t, i, 100, "the stopped stream's place is never freed")
		time.Sleep(10 * time.Millisecond)
	}
	m = subscribe(c, "over again")
	assert.Equal(t, bff.CodeOperationLimit, refusal(m), "the freed place was taken: %s", m.Payload)
}
