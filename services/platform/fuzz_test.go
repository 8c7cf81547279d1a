package platform_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
)

// known reports whether kind is one of the platform's kinds: every kind
// but KindInternal maps to a status of its own.
func known(kind platform.Kind) bool {
	return kind == platform.KindInternal || platform.HTTPStatus(kind) != http.StatusInternalServerError
}

// FuzzDecodeError feeds DecodeError what a callee, a sidecar or a proxy in
// between may answer. Whatever the body, the result is one classified error
// of a known kind; a WireError of a known kind keeps its kind, message and
// code; and an error that WriteError wrote decodes to the same kind and
// public message (the round trip every client relies on).
func FuzzDecodeError(f *testing.F) {
	f.Add(404, []byte(`{"kind":"not_found","message":"video not found"}`))
	f.Add(409, []byte(`{"kind":"conflict","message":"no READY media","code":"MEDIA_NOT_READY"}`))
	f.Add(500, []byte(`{"kind":"internal","message":"internal error"}`))
	f.Add(400, []byte(`{"kind":"bogus","message":"x"}`))
	f.Add(502, []byte("<html>bad gateway</html>"))
	f.Add(429, []byte(""))
	f.Add(200, []byte(`{"kind":null}`))
	f.Add(503, []byte(`{"kind":"unavailable","message":"\u0000\xff"}`))
	f.Add(0, []byte(`[`))
	f.Add(-1, []byte(strings.Repeat("a", 600)))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := platform.DecodeError(status, body)
		var e *platform.Error
		require.True(t, errors.As(err, &e), "DecodeError returned %T", err)
		require.True(t, known(e.Kind), "unknown kind %q", e.Kind)

		var we platform.WireError
		if json.Unmarshal(body, &we) == nil && known(we.Kind) {
			assert.Equal(t, we.Kind, e.Kind)
			assert.Equal(t, we.Message, e.Message)
			assert.Equal(t, we.Code, e.Code)
		}

		// The round trip: whatever kind and message came in, writing the
		// error and decoding the response gives them back.
		rec := httptest.NewRecorder()
		platform.WriteError(rec, err)
		back := platform.DecodeError(rec.Code, rec.Body.Bytes())
		assert.Equal(t, platform.HTTPStatus(e.Kind), rec.Code)
		assert.Equal(t, e.Kind, platform.KindOf(back))
		assert.Equal(t, e.Code, platform.CodeOf(back))
		if utf8.ValidString(e.Message) && e.Kind != platform.KindInternal {
			assert.Equal(t, platform.PublicMessage(err), platform.PublicMessage(back))
		}
	})
}

// FuzzCheckBlobKey checks that every key CheckBlobKey accepts stays inside
// an adapter's root once joined to it, is already clean and has no empty,
// "." or ".." segment; and that a refusal is KindInvalid.
func FuzzCheckBlobKey(f *testing.F) {
	for _, key := range []string{
		"media/v-1/720p/seg-0001.ts", "uploads/u1/part.0", "a..b/c", ".hidden/x", "", ".", "..", "/etc/passwd",
		"../x", "a/../../x", "a//b", "a/", "./a", `a\b`, "a\x00b", "a/...", "...", "a/.b/..c", "media/%2e%2e/x",
	} {
		f.Add(key)
	}
	root := filepath.Join(string(filepath.Separator), "srv", "blobs")
	f.Fuzz(func(t *testing.T, key string) {
		err := platform.CheckBlobKey(key)
		if err != nil {
			require.Equal(t, platform.KindInvalid, platform.KindOf(err))
			return
		}
		joined := filepath.Join(root, filepath.FromSlash(key))
		require.True(t, strings.HasPrefix(joined, root+string(filepath.Separator)), "%q escapes to %q", key, joined)
		require.Equal(t, root+string(filepath.Separator)+filepath.FromSlash(key), joined, "%q is not clean", key)
		for seg := range strings.SplitSeq(key, "/") {
			require.NotContains(t, []string{"", ".", ".."}, seg, "key %q", key)
		}
		require.NotContains(t, key, "\\")
		require.NotContains(t, key, "\x00")
	})
}
