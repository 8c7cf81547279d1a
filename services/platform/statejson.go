package platform

import (
	"context"
	"encoding/json"
	"fmt"
)

// GetJSON reads the JSON value at key into v and returns its ETag, for a
// later write conditional on it.
//
// Errors: KindNotFound with the client-safe message notFound for a missing
// key; KindInternal "corrupt entry" for a value that does not decode into v;
// a failed read keeps its kind (KindUnavailable).
func GetJSON(ctx context.Context, s State, key, notFound string, v any) (string, error) {
	item, err := s.Get(ctx, key)
	if Is(err, KindNotFound) {
		return "", E(KindNotFound, notFound, err)
	}
	if err != nil {
		return "", fmt.Errorf("get %s: %w", key, err)
	}
	if err := DecodeJSON(item, v); err != nil {
		return "", err
	}
	return item.ETag, nil
}

// DecodeJSON unmarshals a stored JSON value (from Get or BulkGet) into v.
//
// Errors: KindInternal "corrupt entry" when it does not decode.
func DecodeJSON(item Item, v any) error {
	if err := json.Unmarshal(item.Value, v); err != nil {
		return E(KindInternal, "corrupt entry", fmt.Errorf("decode %s: %w", item.Key, err))
	}
	return nil
}

// SetJSON writes v as JSON at key in a transaction of its own, conditional
// on etag and ifAbsent as described by Op ("" and false write
// unconditionally).
//
// Errors: KindConflict when the condition fails; an unencodable v is
// KindInternal; a failed write keeps its kind.
func SetJSON(ctx context.Context, s State, key string, v any, etag string, ifAbsent bool) error {
	op, err := jsonOp(key, v, etag, ifAbsent)
	if err != nil {
		return err
	}
	if err := Set(ctx, s, op); err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}

// jsonOp returns the write of v as JSON at key.
func jsonOp(key string, v any, etag string, ifAbsent bool) (Op, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Op{}, fmt.Errorf("encode %s: %w", key, err)
	}
	return Op{Key: key, Value: data, ETag: etag, IfAbsent: ifAbsent}, nil
}
