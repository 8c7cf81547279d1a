package platform

import (
	"path"
	"strings"
)

// CheckBlobKey reports whether key is a valid Blob key: a clean, relative,
// slash-separated path such as "media/<id>/720p/seg-0001.ts", with no empty,
// "." or ".." segment, no backslash and no NUL, so that no adapter can be led
// outside its root.
//
// Errors: KindInvalid for any other key.
func CheckBlobKey(key string) error {
	if key == "" || key == "." || strings.HasPrefix(key, "/") || path.Clean(key) != key ||
		strings.ContainsAny(key, "\\\x00") || key == ".." || strings.HasPrefix(key, "../") {
		return Errorf(KindInvalid, "invalid blob key %q", key)
	}
	return nil
}
