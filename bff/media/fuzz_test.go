package media

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dflix/dflix/services/platform"
	"github.com/dflix/dflix/services/platform/embedded"
	"github.com/dflix/dflix/services/platform/platformtest"
)

// fuzzNow is the clock of the fuzz targets; fuzzMedia the media they
// serve; fuzzKey the key that signs, fuzzLegacy the key migrated from
// earlier versions, which still verifies (and alone verifies two-part
// tokens).
var (
	fuzzNow    = time.Date(2030, 5, 6, 10, 20, 30, 0, time.UTC)
	fuzzKey    = bytes.Repeat([]byte{7}, KeySize)
	fuzzLegacy = bytes.Repeat([]byte{5}, KeySize)
	fuzzMedia  = strings.Repeat("a", 64)
)

// fuzzSigner is a signer over a ring of fuzzLegacy and fuzzKey, the latter
// signing since fuzzNow. Its clock stands still, so a token naming an
// unknown key never reloads the ring (the reload interval never passes).
func fuzzSigner(f *testing.F) *Signer {
	state, err := embedded.OpenState(filepath.Join(f.TempDir(), "state.db"))
	require.NoError(f, err)
	f.Cleanup(func() { _ = state.Close() })
	ring := storedRing{Keys: []storedKey{
		{KID: kidOf(fuzzLegacy), Key: fuzzLegacy, CreatedAt: fuzzNow, Legacy: true},
		{KID: kidOf(fuzzKey), Key: fuzzKey, CreatedAt: fuzzNow, ActiveAt: fuzzNow},
	}}
	require.NoError(f, platform.SetJSON(context.Background(), state, ringKey, ring, "", true))
	keys, err := LoadKeyRing(context.Background(), state, KeyRingConfig{Clock: func() time.Time { return fuzzNow }})
	require.NoError(f, err)
	signer, err := NewSigner(keys, 4*time.Hour)
	require.NoError(f, err)
	// A one-byte change of a key id must not name the other key.
	a, b, diff := kidOf(fuzzKey), kidOf(fuzzLegacy), 0
	for i := range kidLen {
		if a[i] != b[i] {
			diff++
		}
	}
	require.Greater(f, diff, 1)
	return signer
}

// fuzzToken signs a JSON payload as it stands with key, naming kid ("" for
// a two-part token), so the fuzzer controls every claim (and the JSON
// around them) while the signature stays valid.
func fuzzToken(kid string, key, payload []byte) string {
	signed := base64.RawURLEncoding.EncodeToString(payload)
	if kid != "" {
		signed = kid + "." + signed
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(mac(key, signed))
}

// FuzzVerifyToken checks media tokens, the only thing between a URL and a
// video. The fuzzer writes the signed claims (so it reaches past the
// signature check) and picks one byte of the token to change. A token that
// verifies has claims that pass check and are not expired, and signing
// those claims again gives a token that verifies to the same claims; the
// same claims as a two-part token of the legacy key verify alike; any
// one-byte change of a valid token fails with KindForbidden, and so do the
// claims unsigned, a two-part token of a key that is not the legacy key,
// and a token naming one key signed by the other; and every refusal is
// KindForbidden (403), never an internal error.
func FuzzVerifyToken(f *testing.F) {
	signer := fuzzSigner(f)
	ctx := context.Background()
	exp := fuzzNow.Add(time.Hour).Unix()
	for _, c := range []string{
		fmt.Sprintf(`{"v":"v-1","m":%q,"k":"hls","s":"u-1","i":%d,"h":720,"e":%d}`, fuzzMedia, fuzzNow.Unix(), exp),
		fmt.Sprintf(`{"v":"v-1","m":%q,"k":"dl","r":"720p","s":"u-1","i":%d,"e":%d}`, fuzzMedia, fuzzNow.Unix(), exp),
		fmt.Sprintf(`{"v":"v-1","m":%q,"k":"img","e":%d}`, fuzzMedia, exp),
		fmt.Sprintf(`{"v":"v-1","m":"../x","k":"img","e":%d}`, exp),
		fmt.Sprintf(`{"v":"v-1","m":%q,"k":"img","e":%d}`, fuzzMedia, fuzzNow.Unix()),
		fmt.Sprintf(`{"v":"v-1","m":%q,"k":"dl","r":"a/b","s":"u","e":%d}`, fuzzMedia, exp),
		fmt.Sprintf(`{"m":%q,"k":"img","e":%d,"e":1}`, fuzzMedia, exp),
		`{"m":"x","k":"img","e":1e30}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(c), 0, byte(0))
		f.Add([]byte(c), -1, byte('A'))
		f.Add([]byte(c), 1000, byte('.'))
		f.Add([]byte(c), 3, byte('.'))
	}
	kid, legacyKID := kidOf(fuzzKey), kidOf(fuzzLegacy)
	f.Fuzz(func(t *testing.T, payload []byte, at int, b byte) {
		token := fuzzToken(kid, fuzzKey, payload)
		c, err := signer.verify(ctx, token)
		legacy, legacyErr := signer.verify(ctx, fuzzToken("", fuzzLegacy, payload))
		if err != nil {
			require.Equal(t, platform.KindForbidden, platform.KindOf(err), "%v", err)
			require.Error(t, legacyErr, "the legacy key verifies what the current one refuses")
			require.Equal(t, platform.KindForbidden, platform.KindOf(legacyErr))
		} else {
			require.NoError(t, c.check())
			require.True(t, fuzzNow.Before(time.Unix(c.Expires, 0)))
			again, err := signer.verify(ctx, signer.sign(fuzzNow, c))
			require.NoError(t, err)
			require.Equal(t, c, again)
			require.NoError(t, legacyErr)
			require.Equal(t, c, legacy)
		}
		for _, tok := range []string{
			string(payload),
			mutate(token, at, b),
			fuzzToken("", fuzzKey, payload),
			fuzzToken(kid, fuzzLegacy, payload),
			fuzzToken(legacyKID, fuzzKey, payload),
		} {
			if tok == token {
				continue
			}
			_, err := signer.verify(ctx, tok)
			require.Error(t, err, "token %q verifies", tok)
			require.Equal(t, platform.KindForbidden, platform.KindOf(err))
		}
	})
}

// mutate changes the byte of s at position at (modulo its length) to b, or
// the next byte value when it is b already.
func mutate(s string, at int, b byte) string {
	if s == "" {
		return string(b)
	}
	i := ((at % len(s)) + len(s)) % len(s)
	out := []byte(s)
	if out[i] == b {
		b++
	}
	out[i] = b
	return string(out)
}

// fuzzGateway is a gateway over blobs holding one media's poster.
func fuzzGateway(f *testing.F) (*Gateway, []byte) {
	blobs, err := embedded.OpenBlobs(filepath.Join(f.TempDir(), "blobs"))
	require.NoError(f, err)
	poster := platformtest.RandomBytes(3_001, 5)
	for _, name := range []string{"poster.jpg", "thumbnails.jpg"} {
		_, err = blobs.Put(context.Background(), "media/"+fuzzMedia+"/hls/"+name, bytes.NewReader(poster))
		require.NoError(f, err)
	}
	return &Gateway{signer: fuzzSigner(f), blobs: blobs, log: slog.New(slog.DiscardHandler)}, poster
}

// FuzzGatewayRange sends arbitrary Range (and If-Range) headers for a file
// of known bytes. Whatever the header, the answer is the whole file (200),
// the ranges asked for (206), each of which lies within the file and is
// exactly its bytes there, or 416; never a server error.
func FuzzGatewayRange(f *testing.F) {
	gw, file := fuzzGateway(f)
	url, _ := gw.signer.PosterURL("v-1", fuzzMedia)
	for _, r := range []string{
		"", "bytes=0-0", "bytes=0-99", "bytes=100-", "bytes=-500", "bytes=2999-5000", "bytes=3001-", "bytes=5-1",
		"bytes=0-1,1-2", "bytes=0-10,20-30,-5", "bytes=-0", "bytes=--1", "bytes= 1 - 2 ", "items=0-1",
		"bytes=0-18446744073709551616", "bytes=" + strings.Repeat("0-1,", 200), "bytes=0-,0-",
	} {
		f.Add(r, "")
	}
	f.Add("bytes=0-1", `"nope"`)
	f.Add("bytes=0-1", "Mon, 02 Jan 2006 15:04:05 GMT")
	f.Fuzz(func(t *testing.T, rangeHeader, ifRange string) {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Range", rangeHeader)
		req.Header.Set("If-Range", ifRange)
		rec := httptest.NewRecorder()
		gw.ServeHTTP(rec, req)
		size := int64(len(file))
		switch rec.Code {
		case http.StatusOK:
			require.Equal(t, file, rec.Body.Bytes())
		case http.StatusPartialContent:
			checkPartial(t, rec, file)
		case http.StatusRequestedRangeNotSatisfiable:
			// net/http names the size only when the ranges are well formed
			// but all past the end.
			if cr := rec.Header().Get("Content-Range"); cr != "" {
				require.Equal(t, fmt.Sprintf("bytes */%d", size), cr)
			}
		default:
			t.Fatalf("Range %q If-Range %q: status %d: %s", rangeHeader, ifRange, rec.Code, rec.Body)
		}
	})
}

// checkPartial checks a 206 answer, single or multipart, against file.
func checkPartial(t *testing.T, rec *httptest.ResponseRecorder, file []byte) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
	require.NoError(t, err)
	if mt != "multipart/byteranges" {
		checkPart(t, rec.Header().Get("Content-Range"), rec.Body.Bytes(), file)
		return
	}
	mr := multipart.NewReader(rec.Body, params["boundary"])
	parts := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		data, err := io.ReadAll(p)
		require.NoError(t, err)
		checkPart(t, p.Header.Get("Content-Range"), data, file)
		parts++
	}
	require.Positive(t, parts)
}

// checkPart checks that a Content-Range lies within file and that data is
// file's bytes there.
func checkPart(t *testing.T, contentRange string, data, file []byte) {
	t.Helper()
	var first, last, size int64
	_, err := fmt.Sscanf(contentRange, "bytes %d-%d/%d", &first, &last, &size)
	require.NoError(t, err, "Content-Range %q", contentRange)
	require.Equal(t, int64(len(file)), size)
	require.True(t, 0 <= first && first <= last && last < size, "Content-Range %q", contentRange)
	require.Equal(t, file[first:last+1], data)
}

// FuzzGatewayPath asks for arbitrary paths under a valid token. A path the
// gateway accepts maps to a blob key inside the media's own folder, clean
// and without a ".." segment; anything else is refused with 403 or 404.
func FuzzGatewayPath(f *testing.F) {
	gw, _ := fuzzGateway(f)
	url, _ := gw.signer.PosterURL("v-1", fuzzMedia)
	token := url[len(Prefix):strings.LastIndex(url, "/")]
	for _, rel := range []string{
		"poster.jpg", "thumbnails.jpg", "master.m3u8", "../poster.jpg", "./poster.jpg", "a/../poster.jpg",
		"poster.jpg/", "", "/poster.jpg", `..\poster.jpg`, "poster.jpg\x00", "%2e%2e/poster.jpg", "..",
	} {
		f.Add(rel)
	}
	prefix := "media/" + fuzzMedia + "/hls/"
	f.Fuzz(func(t *testing.T, rel string) {
		obj, err := gw.resolve(context.Background(), Prefix+token+"/"+rel)
		if err != nil {
			kind := platform.KindOf(err)
			require.True(t, kind == platform.KindForbidden || kind == platform.KindNotFound, "rel %q: %v", rel, err)
			return
		}
		require.True(t, strings.HasPrefix(obj.key, prefix), "rel %q gives %q", rel, obj.key)
		require.NoError(t, platform.CheckBlobKey(obj.key))
		assert.NotContains(t, strings.Split(obj.key, "/"), "..")
		assert.Contains(t, []string{"poster.jpg", "thumbnails.jpg"}, strings.TrimPrefix(obj.key, prefix))
	})
}
