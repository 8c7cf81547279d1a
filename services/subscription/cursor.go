package subscription

import (
	"encoding/base64"
	"slices"
)

// page is one page of a listing.
type page[T any] struct {
	items   []T
	cursors []string // cursors[i] resumes after items[i]
	end     string   // the cursor after the last item ("" on an empty page)
	hasNext bool
}

// encodeCursor returns the opaque cursor after the item whose key is key.
func encodeCursor(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// decodeCursor returns the key a cursor stands for ("" for none).
// Errors: KindInvalid for a malformed cursor.
func decodeCursor(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	key, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(key) == 0 {
		return "", invalid("malformed cursor")
	}
	return string(key), nil
}

// pageFrom returns up to n items of all from index start on.
func pageFrom[T any](all []T, start, n int, key func(T) string) page[T] {
	start = min(max(start, 0), len(all))
	end := min(start+n, len(all))
	p := page[T]{items: slices.Clone(all[start:end]), hasNext: end < len(all)}
	if p.items == nil {
		p.items = []T{}
	}
	p.cursors = make([]string, len(p.items))
	for i, it := range p.items {
		p.cursors[i] = encodeCursor(key(it))
	}
	if len(p.items) > 0 {
		p.end = p.cursors[len(p.cursors)-1]
	}
	return p
}
