package catalog

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// listCursor is the position after one video in a listing: the order it
// belongs to and the video's sort key and id. Keyset pagination resumes
// strictly after it, so a page is stable when videos are added elsewhere.
type listCursor struct {
	Order string `json:"o"`
	Title string `json:"t,omitempty"`
	Year  int    `json:"y,omitempty"`
	At    int64  `json:"c,omitempty"`
	ID    string `json:"i"`
}

// orderTag names an order and direction inside a cursor.
func orderTag(order int, desc bool) string {
	tag := strconv.Itoa(order)
	if desc {
		tag += "d"
	}
	return tag
}

// encodeListCursor returns the opaque cursor after e.
func encodeListCursor(e *entry, order int, desc bool) string {
	c := listCursor{Order: orderTag(order, desc), ID: e.v.ID}
	switch order {
	case orderByTitle:
		c.Title = e.titleKey
	case orderByYear:
		c.Year = e.v.ReleaseYear
	default:
		c.At = e.created
	}
	data, _ := json.Marshal(c) // a struct of strings and numbers always marshals
	return base64.RawURLEncoding.EncodeToString(data)
}

// decodeListCursor returns the probe entry a cursor stands for, or nil for
// no cursor. Errors: KindInvalid for a malformed cursor or one from another
// order.
func decodeListCursor(raw string, order int, desc bool) (*entry, error) {
	if raw == "" {
		return nil, nil
	}
	var c listCursor
	data, err := base64.RawURLEncoding.DecodeString(raw)
	if err == nil {
		err = json.Unmarshal(data, &c)
	}
	if err != nil || c.ID == "" {
		return nil, invalid("malformed cursor")
	}
	if c.Order != orderTag(order, desc) {
		return nil, invalid("cursor belongs to a different order")
	}
	e := &entry{titleKey: c.Title, created: c.At}
	e.v.ID, e.v.ReleaseYear = c.ID, c.Year
	return e, nil
}

// offsetPrefix marks a search cursor.
const offsetPrefix = "offset:"

// encodeOffset returns the opaque cursor after the hit at position n-1.
func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(offsetPrefix + strconv.Itoa(n)))
}

// decodeOffset returns how many hits a search cursor skips (0 for none).
// Errors: KindInvalid for a malformed cursor.
func decodeOffset(raw string) (int, error) {
	if raw == "" {
		return 0, nil
	}
	data, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || !strings.HasPrefix(string(data), offsetPrefix) {
		return 0, invalid("malformed cursor")
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(data), offsetPrefix))
	if err != nil || n < 0 {
		return 0, invalid("malformed cursor")
	}
	return n, nil
}
