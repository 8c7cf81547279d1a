package dapr

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// cloudEventContentType is how a complete CloudEvent is published, so the
// sidecar keeps our id, type, source and time instead of wrapping the event
// in an envelope of its own.
const cloudEventContentType = "application/cloudevents+json"

// cloudEvent is a CloudEvents 1.0 JSON event as we publish it and as the
// sidecar delivers it. The sidecar adds its own attributes (topic,
// pubsubname, traceparent...), which decoding ignores except topic.
type cloudEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	Source          string          `json:"source"`
	Time            string          `json:"time,omitempty"`
	DataContentType string          `json:"datacontenttype,omitempty"`
	Data            json.RawMessage `json:"data,omitempty"`
	DataBase64      string          `json:"data_base64,omitempty"`
	// Topic is set by the sidecar to the topic the event was published on.
	Topic string `json:"topic,omitempty"`
	// DflixTopic is the producer's topic: it survives the sidecar's
	// forwarding of a dead letter, so the dead letter knows where it came
	// from.
	DflixTopic string `json:"dflixtopic,omitempty"`
	// DflixRedrive, on a redriven dead letter, names the one subscription
	// ("<app id>/<subscription name>") that is to handle it; every other
	// subscription of the topic acknowledges it untouched.
	DflixRedrive string `json:"dflixredrive,omitempty"`
	// TraceParent is set by the sidecar on delivery: its publish span,
	// a child of the traceparent the event was published with.
	TraceParent string `json:"traceparent,omitempty"`
}

// encodeEvent returns ev as a CloudEvent; redrive is empty except on a
// redriven dead letter.
func encodeEvent(ev platform.Event, redrive string) ([]byte, error) {
	data := ev.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	ce := cloudEvent{
		SpecVersion:     "1.0",
		ID:              ev.ID,
		Type:            ev.Type,
		Source:          ev.Source,
		DataContentType: "application/json",
		Data:            data,
		DflixTopic:      ev.Topic,
		DflixRedrive:    redrive,
	}
	if !ev.Time.IsZero() {
		ce.Time = ev.Time.UTC().Format(time.RFC3339Nano)
	}
	out, err := json.Marshal(ce)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", ev.ID, err)
	}
	return out, nil
}

// decodeEvent parses a delivered CloudEvent into an Event and its redrive
// target.
func decodeEvent(body []byte) (platform.Event, string, error) {
	var ce cloudEvent
	if err := json.Unmarshal(body, &ce); err != nil {
		return platform.Event{}, "", fmt.Errorf("decode cloud event: %w", err)
	}
	if ce.ID == "" {
		return platform.Event{}, "", fmt.Errorf("decode cloud event: no id")
	}
	ev := platform.Event{ID: ce.ID, Type: ce.Type, Source: ce.Source, Topic: ce.DflixTopic, Data: ce.Data, TraceParent: ce.TraceParent}
	if ev.Topic == "" {
		ev.Topic = ce.Topic
	}
	if ce.DataBase64 != "" {
		raw, err := base64.StdEncoding.DecodeString(ce.DataBase64)
		if err != nil {
			return platform.Event{}, "", fmt.Errorf("decode cloud event %s: data_base64: %w", ce.ID, err)
		}
		if !json.Valid(raw) {
			// Data must stay JSON, or the dead letter its handler's drop
			// leads to cannot be stored (nor redriven): keep the base64 text
			// as a JSON string instead.
			raw, _ = json.Marshal(ce.DataBase64)
		}
		ev.Data = raw
	}
	if ce.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, ce.Time)
		if err == nil && (t.UTC().Year() < 0 || t.UTC().Year() > 9999) {
			// An offset can carry year 0 or 9999 out of what JSON (and so a
			// stored dead letter or a republished event) can represent.
			err = fmt.Errorf("%s is out of range in UTC", ce.Time)
		}
		if err != nil {
			return platform.Event{}, "", fmt.Errorf("decode cloud event %s: time: %w", ce.ID, err)
		}
		ev.Time = t.UTC()
	}
	return ev, ce.DflixRedrive, nil
}
