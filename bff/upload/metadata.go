package upload

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/dflix/dflix/services/platform"
)

// maxMetadata bounds the Upload-Metadata header.
const maxMetadata = 4 << 10

// parseMetadata reads a tus Upload-Metadata header: comma-separated pairs of
// a key and a base64 value separated by a space; a key may stand alone
// (empty value).
//
// Errors: KindInvalid for a malformed header.
func parseMetadata(header string) (map[string]string, error) {
	meta := map[string]string{}
	if strings.TrimSpace(header) == "" {
		return meta, nil
	}
	if len(header) > maxMetadata {
		return nil, platform.Errorf(platform.KindInvalid, "Upload-Metadata is longer than %d bytes", maxMetadata)
	}
	for pair := range strings.SplitSeq(header, ",") {
		key, value, _ := strings.Cut(strings.TrimSpace(pair), " ")
		if key == "" || strings.ContainsAny(value, " ") {
			return nil, platform.E(platform.KindInvalid, "Upload-Metadata is malformed", nil)
		}
		if _, dup := meta[key]; dup {
			return nil, platform.Errorf(platform.KindInvalid, "Upload-Metadata repeats the key %q", key)
		}
		decoded, err := decodeBase64(value)
		if err != nil {
			return nil, platform.E(platform.KindInvalid, fmt.Sprintf("Upload-Metadata value of %q is not base64", key), err)
		}
		meta[key] = decoded
	}
	return meta, nil
}

// decodeBase64 accepts standard base64 with or without padding.
func decodeBase64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(s)
	}
	return string(b), err
}

// encodeMetadata writes an Upload-Metadata header, keys sorted.
func encodeMetadata(meta map[string]string) string {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + " " + base64.StdEncoding.EncodeToString([]byte(meta[k]))
	}
	return strings.Join(pairs, ",")
}
