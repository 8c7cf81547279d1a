package bff_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/bff"
	"github.com/dflix/dflix/services/platform"
)

// The test topic of poisonConsumer and its event types.
const (
	poisonTopic = "test-poison"
	poisonName  = "test-poison-consumer"
	typePoison  = "test.poison"
	typeGood    = "test.good"
	// eventWait bounds how long a test waits for the bus to deliver.
	eventWait = 10 * time.Second
)

// poisonConsumer drops every poison event to the dead letters until the
// test heals it, and acknowledges everything else.
type poisonConsumer struct {
	mu      sync.Mutex
	healed  map[string]bool // poison event ids accepted from now on
	handled map[string]bool // acknowledged event ids
}

func (p *poisonConsumer) handle(_ context.Context, ev platform.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ev.Type == typePoison && !p.healed[ev.ID] {
		return platform.Drop(errors.New("cannot handle a poison event"))
	}
	p.handled[ev.ID] = true
	return nil
}

func (p *poisonConsumer) heal(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.healed[id] = true
}

func (p *poisonConsumer) wasHandled(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.handled[id]
}

// poisonConsumer subscribes the stack's poison consumer, once.
func (s *stack) poisonConsumer() *poisonConsumer {
	s.t.Helper()
	if s.poison == nil {
		p := &poisonConsumer{healed: map[string]bool{}, handled: map[string]bool{}}
		sub := platform.Subscription{Topic: poisonTopic, Name: poisonName, Handle: p.handle}
		require.NoError(s.t, s.bus.Subscribe(context.Background(), sub))
		s.poison = p
	}
	return s.poison
}

// publish publishes an event of typ on the poison topic.
func (s *stack) publish(t *testing.T, typ string, payload any) platform.Event {
	t.Helper()
	s.poisonConsumer()
	ev, err := platform.NewEvent("test", poisonTopic, typ, time.Now(), payload)
	require.NoError(t, err)
	require.NoError(t, s.bus.Publish(context.Background(), ev))
	return ev
}

// waitHandled waits until the poison consumer acknowledged event id.
func (s *stack) waitHandled(t *testing.T, id string) {
	t.Helper()
	require.Eventually(t, func() bool { return s.poisonConsumer().wasHandled(id) }, eventWait, 5*time.Millisecond,
		"event %s handled", id)
}

// deadLetterOf waits until event id is a dead letter and returns it.
func (s *stack) deadLetterOf(t *testing.T, id string) platform.DeadLetter {
	t.Helper()
	var found platform.DeadLetter
	require.Eventually(t, func() bool {
		list, err := s.bus.ListDeadLetters(context.Background())
		require.NoError(t, err)
		for _, d := range list {
			if d.Event.ID == id {
				found = d
				return true
			}
		}
		return false
	}, eventWait, 5*time.Millisecond, "event %s dead", id)
	return found
}

// freshDeadLetter is an authorization-table setup: a new dead letter's id.
func freshDeadLetter(t *testing.T, s *stack, role string) (string, map[string]any) {
	ev := s.publish(t, typePoison, map[string]string{"for": role})
	return s.tokenFor(role), map[string]any{"id": s.deadLetterOf(t, ev.ID).ID}
}

// deadLetterJSON is a DeadLetter as the schema shows it.
type deadLetterJSON struct {
	ID           string    `json:"id"`
	Subscription string    `json:"subscription"`
	Topic        string    `json:"topic"`
	EventID      string    `json:"eventId"`
	EventType    string    `json:"eventType"`
	Source       string    `json:"source"`
	Reason       string    `json:"reason"`
	Attempts     int       `json:"attempts"`
	FailedAt     time.Time `json:"failedAt"`
	Payload      string    `json:"payload"`
}

const (
	deadLettersQuery = `{ deadLetters { id subscription topic eventId eventType source reason attempts failedAt payload } }`
	redriveMutation  = `mutation($id: String!) { redriveDeadLetter(id: $id) }`
)

// listDeadLetters runs deadLettersQuery as an admin, by event id.
func (s *stack) listDeadLetters(t *testing.T) map[string]deadLetterJSON {
	t.Helper()
	res := s.do(t, s.admin.token, deadLettersQuery, nil)
	require.Empty(t, res.Errors, res.String())
	var list []deadLetterJSON
	require.NoError(t, json.Unmarshal(res.Data["deadLetters"], &list))
	out := map[string]deadLetterJSON{}
	for _, d := range list {
		out[d.EventID] = d
	}
	return out
}

// TestDeadLettersEndToEnd: an event its consumer can never handle lands in
// the dead letters, an admin sees it and redrives it once the consumer is
// fixed, and the consumer's other events flow all along.
func TestDeadLettersEndToEnd(t *testing.T) {
	s := newStack(t, stackOptions{})
	poison := s.publish(t, typePoison, map[string]any{"videoId": "v1", "n": 1})
	good := s.publish(t, typeGood, map[string]any{"n": 2})
	stored := s.deadLetterOf(t, poison.ID)
	s.waitHandled(t, good.ID)

	for _, tt := range []struct{ role, code string }{{anon, bff.CodeUnauthenticated}, {viewer, bff.CodeForbidden}} {
		assert.Equal(t, tt.code, s.do(t, s.tokenFor(tt.role), deadLettersQuery, nil).code(), "list as %s", tt.role)
		res := s.do(t, s.tokenFor(tt.role), redriveMutation, map[string]any{"id": stored.ID})
		assert.Equal(t, tt.code, res.code(), "redrive as %s", tt.role)
	}

	dl, ok := s.listDeadLetters(t)[poison.ID]
	require.True(t, ok, "the admin sees the dead letter")
	assert.Equal(t, stored.ID, dl.ID)
	assert.Equal(t, poisonTopic+"/"+poisonName, dl.Subscription)
	assert.Equal(t, poisonTopic, dl.Topic)
	assert.Equal(t, typePoison, dl.EventType)
	assert.Equal(t, "test", dl.Source)
	assert.Contains(t, dl.Reason, "cannot handle a poison event")
	assert.Equal(t, 1, dl.Attempts, "dropped at the first delivery")
	assert.WithinDuration(t, time.Now(), dl.FailedAt, time.Minute)
	assert.JSONEq(t, `{"videoId":"v1","n":1}`, dl.Payload)

	// Nothing else stops meanwhile.
	s.waitHandled(t, s.publish(t, typeGood, nil).ID)

	s.poisonConsumer().heal(poison.ID)
	res := s.do(t, s.admin.token, redriveMutation, map[string]any{"id": dl.ID})
	require.Empty(t, res.Errors, res.String())
	assert.JSONEq(t, `true`, string(res.Data["redriveDeadLetter"]))
	s.waitHandled(t, poison.ID)
	assert.NotContains(t, s.listDeadLetters(t), poison.ID, "a redriven dead letter leaves the list")

	res = s.do(t, s.admin.token, redriveMutation, map[string]any{"id": dl.ID})
	assert.Equal(t, bff.CodeNotFound, res.code(), "redriven already: %s", res)
}

func TestRedriveDeadLetterInput(t *testing.T) {
	s := newStack(t, stackOptions{})
	tests := []struct {
		name, id, code string
	}{
		{"unknown", "no-such-dead-letter", bff.CodeNotFound},
		{"not an ID's shape", "catalog/catalog-projection:ev 1:abc", bff.CodeNotFound},
		{"empty", "", bff.CodeBadUserInput},
		{"oversized", string(make([]byte, 2000)), bff.CodeBadUserInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(t, s.admin.token, redriveMutation, map[string]any{"id": tt.id})
			assert.Equal(t, tt.code, res.code(), res.String())
		})
	}
}

func TestDeadLettersUnavailableWithoutAStore(t *testing.T) {
	s := newStack(t, stackOptions{noDeadLetters: true})
	tests := []struct {
		name, token, query string
		vars               map[string]any
		code               string
	}{
		{"list as admin", s.admin.token, deadLettersQuery, nil, bff.CodeUnavailable},
		{"redrive as admin", s.admin.token, redriveMutation, map[string]any{"id": "x"}, bff.CodeUnavailable},
		{"list as viewer", s.viewer.token, deadLettersQuery, nil, bff.CodeForbidden},
		{"list as anonymous", "", deadLettersQuery, nil, bff.CodeUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.do(t, tt.token, tt.query, tt.vars)
			require.Equal(t, tt.code, res.code(), res.String())
			if tt.code == bff.CodeUnavailable {
				assert.Equal(t, "dead letters are not available in this deployment", res.Errors[0].Message)
			}
		})
	}
}
