package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
)

// FuzzParseMetadata checks the Upload-Metadata parser: what it accepts has
// keys without spaces or commas, encodes back to a header that parses to
// the same pairs, and a refusal is KindInvalid (a 400, never a 500).
func FuzzParseMetadata(f *testing.F) {
	for _, h := range []string{
		"", "videoId dmlkZW8tMQ==,filename bW92aWUubXA0", "filename bW92aWUubXA0", "is_confidential",
		"videoId dmlkZW8tMQ", "a  b", "a b c", ",", "a,a", "a YQ==,a Yg==", "a !!!", " a YQ== , b ",
		"k " + strings.Repeat("QUFB", 1500), "a\tYQ==",
	} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, header string) {
		meta, err := parseMetadata(header)
		if err != nil {
			require.Equal(t, platform.KindInvalid, platform.KindOf(err), "%v", err)
			return
		}
		for k := range meta {
			require.NotEmpty(t, k)
			require.False(t, strings.ContainsAny(k, " ,"), "key %q", k)
		}
		again, err := parseMetadata(encodeMetadata(meta))
		require.NoError(t, err)
		require.Equal(t, meta, again)
	})
}

// fuzzLength is the size of the upload each FuzzTusRequest input starts
// from; fuzzData its bytes as a well-behaved client would send them.
const fuzzLength = 32

var fuzzData = []byte("0123456789abcdefghijklmnopqrstuv")

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, platform.Event) error { return nil }

// fuzzDir is a temporary folder in memory when the system has one: every
// write of the embedded adapters is fsynced, which on a disk would hold
// the fuzzer to a few inputs a second.
func fuzzDir(f *testing.F) string {
	dir, err := os.MkdirTemp("/dev/shm", "dflix-fuzz-")
	if err != nil {
		return f.TempDir()
	}
	f.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// fuzzServer is a tus server over embedded ports in a temporary folder,
// with small parts so a body spans several.
func fuzzServer(f *testing.F) *Server {
	dir := fuzzDir(f)
	state, err := embedded.OpenState(filepath.Join(dir, "state.db"))
	require.NoError(f, err)
	f.Cleanup(func() { _ = state.Close() })
	blobs, err := embedded.OpenBlobs(filepath.Join(dir, "blobs"))
	require.NoError(f, err)
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	authorize := func(_ context.Context, r *http.Request, _ string) (platform.Caller, error) {
		if r.Header.Get("Authorization") != "Bearer admin" {
			return platform.Caller{}, platform.E(platform.KindUnauthenticated, "sign in required", nil)
		}
		return platform.Caller{UserID: "admin-1", Role: platform.RoleAdmin}, nil
	}
	srv, err := New(Config{MaxSize: 1 << 20, PartSize: 8},
		Deps{State: state, Blobs: blobs, Publisher: nopPublisher{}, Clock: func() time.Time { return now }, Authorize: authorize})
	require.NoError(f, err)
	return srv
}

// FuzzTusRequest sends one tus request with fuzzed method, headers and body
// to an upload of fuzzLength bytes of which pre are already stored (or to
// the collection, for a POST). Whatever comes in: no 5xx; a PATCH that
// succeeds moved the offset by exactly its body, within the length, and
// reports it; any other answer left the offset where it was (nothing
// written half); a completed upload's media id is the hash of exactly the
// bytes sent; a creation that succeeds stored the Upload-Length it was
// given, non-negative and within the maximum.
func FuzzTusRequest(f *testing.F) {
	srv := fuzzServer(f)
	meta := "videoId dmlkZW8tMQ==,filename bW92aWUubXA0"
	ct := offsetContentType
	f.Add("PATCH", "", "1.0.0", "0", "", "", ct, fuzzData[:10], uint8(0))
	f.Add("PATCH", "", "1.0.0", "10", "", "", ct, fuzzData[10:], uint8(10))
	f.Add("PATCH", "", "1.0.0", "10", "", "", ct, fuzzData[10:], uint8(9))
	f.Add("PATCH", "", "1.0.0", "-0", "", "", ct, []byte("x"), uint8(0))
	f.Add("PATCH", "", "1.0.0", "0", "", "", ct, bytes.Repeat([]byte("x"), 40), uint8(0))
	f.Add("PATCH", "", "1.0.0", "9223372036854775807", "", "", ct, []byte("x"), uint8(31))
	f.Add("PATCH", "", "1.0.0", "0", "", "", "text/plain", []byte("x"), uint8(0))
	f.Add("PATCH", "", "0.2.2", "0", "", "", ct, []byte("x"), uint8(0))
	f.Add("POST", "patch", "1.0.0", "0", "", "", ct, fuzzData, uint8(0))
	f.Add("POST", "DELETE", "1.0.0", "", "", "", "", []byte(nil), uint8(5))
	f.Add("HEAD", "", "1.0.0", "", "", "", "", []byte(nil), uint8(32))
	f.Add("POST", "", "1.0.0", "", "100", meta, "", []byte(nil), uint8(0))
	f.Add("POST", "", "1.0.0", "", "-1", meta, "", []byte(nil), uint8(0))
	f.Add("POST", "", "1.0.0", "", "1048577", meta, "", []byte(nil), uint8(0))
	f.Add("POST", "", "1.0.0", "", "5", "videoId", "", []byte(nil), uint8(0))
	f.Add("OPTIONS", "", "", "", "", "", "", []byte(nil), uint8(0))
	f.Fuzz(func(t *testing.T, method, override, tusVersion, offset, length, metadata, contentType string, body []byte, pre uint8) {
		ctx := context.Background()
		stored := int64(pre % (fuzzLength + 1))
		up, err := srv.Create(ctx, CreateRequest{VideoID: "video-1", Filename: "movie.mp4", Size: fuzzLength, CreatedBy: "admin-1"})
		require.NoError(t, err)
		if stored > 0 {
			_, err = srv.Write(ctx, up.ID, 0, bytes.NewReader(fuzzData[:stored]))
			require.NoError(t, err)
		}
		target := up.URL
		if method == http.MethodPost && override == "" {
			target = srv.cfg.BasePath
		}
		if !validMethod(method) {
			method = http.MethodPatch
		}
		r := httptest.NewRequest(method, target, bytes.NewReader(body))
		for k, v := range map[string]string{"X-HTTP-Method-Override": override, "Tus-Resumable": tusVersion,
			"Upload-Offset": offset, "Upload-Length": length, "Upload-Metadata": metadata, "Content-Type": contentType} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		r.Header.Set("Authorization", "Bearer admin")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		require.Less(t, w.Code, 500, "%s", w.Body)

		if w.Code == http.StatusCreated {
			checkCreated(t, srv, w, length)
			return
		}
		u, err := srv.Get(ctx, up.ID)
		if platform.Is(err, platform.KindNotFound) {
			assert.Equal(t, http.StatusNoContent, w.Code, "the upload is gone after %d", w.Code)
			return
		}
		require.NoError(t, err)
		require.True(t, 0 <= u.Offset && u.Offset <= u.Length && u.Length == fuzzLength, "offset %d of %d", u.Offset, u.Length)
		sent := fuzzData[:stored:stored]
		if w.Code == http.StatusNoContent && w.Header().Get("Upload-Offset") != "" && len(body) > 0 {
			require.Equal(t, stored+int64(len(body)), u.Offset, "a successful PATCH moves the offset by its body")
			assert.Equal(t, strconv.FormatInt(u.Offset, 10), w.Header().Get("Upload-Offset"))
			sent = append(sent, body...)
		} else if u.Offset != stored {
			t.Fatalf("status %d moved the offset from %d to %d", w.Code, stored, u.Offset)
		}
		if u.Completed {
			sum := sha256.Sum256(sent)
			require.Equal(t, hex.EncodeToString(sum[:]), u.MediaID)
		}
	})
}

// validMethod reports whether httptest can build a request with method.
func validMethod(method string) bool {
	return method != "" && !strings.ContainsFunc(method, func(r rune) bool {
		return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r)
	})
}

// checkCreated checks a 201 answer to a tus POST against the Upload-Length
// it was given.
func checkCreated(t *testing.T, srv *Server, w *httptest.ResponseRecorder, length string) {
	t.Helper()
	id := strings.TrimPrefix(w.Header().Get("Location"), srv.cfg.BasePath)
	u, err := srv.Get(context.Background(), id)
	require.NoError(t, err)
	n, err := strconv.ParseInt(length, 10, 64)
	require.NoError(t, err, "created with Upload-Length %q", length)
	require.Equal(t, n, u.Length)
	require.True(t, 0 <= u.Length && u.Length <= srv.cfg.MaxSize)
	require.Zero(t, u.Offset)
}
