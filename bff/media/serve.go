package media

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// maxCacheAge caps how long a browser may cache a media file.
const maxCacheAge = 24 * time.Hour

// serve writes the object's blob: with http.ServeContent (ranges,
// multi-range, If-None-Match, If-Range) when the blob's reader can seek,
// else as a plain 200 stream of the whole blob.
//
// Errors: KindNotFound for a missing blob; a failed read keeps its kind.
// Once the body has started, failures are logged only.
func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, obj object) error {
	rc, err := g.blobs.Open(r.Context(), obj.key)
	if err != nil {
		return blobError(err)
	}
	defer func() { _ = rc.Close() }()
	h := w.Header()
	h.Set("Content-Type", contentType(obj.key))
	h.Set("Cache-Control", g.cacheControl(obj.claims))
	h.Set("X-Content-Type-Options", "nosniff")
	if obj.attachment != "" {
		h.Set("Content-Disposition", disposition(obj.attachment))
	}
	rs, ok := rc.(io.ReadSeeker)
	if obj.maxHeight > 0 {
		if rs, err = filtered(rc, obj); err != nil {
			return err
		}
	} else if !ok {
		return g.stream(w, r, obj.key, rc)
	}
	size, err := rs.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = rs.Seek(0, io.SeekStart)
	}
	if err != nil {
		return fmt.Errorf("media: seek %s: %w", obj.key, err)
	}
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag(obj.key, size))
	if rh := r.Header.Get("Range"); rh != "" {
		r.Header.Set("Range", withoutEmptySuffixes(rh, size))
	}
	http.ServeContent(w, r, "", time.Time{}, rs)
	return nil
}

// withoutEmptySuffixes leaves out of a Range header the suffix ranges that
// select no bytes ("bytes=-0", or any suffix of an empty file): net/http
// answers them with 206 and an invalid Content-Range such as
// "bytes 3001-3000/3001" (golang/go#81262), where RFC 9110 14.1.2 makes them
// unsatisfiable. When nothing else is asked for, the header becomes a range
// past the end, which net/http answers with 416 and "bytes */<size>".
func withoutEmptySuffixes(header string, size int64) string {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok {
		return header
	}
	var kept []string
	for r := range strings.SplitSeq(spec, ",") {
		suffix, isSuffix := strings.CutPrefix(strings.TrimSpace(r), "-")
		n, err := strconv.ParseInt(strings.TrimSpace(suffix), 10, 64)
		if isSuffix && err == nil && (n == 0 || size == 0) {
			continue
		}
		kept = append(kept, r)
	}
	if len(kept) == 0 {
		return "bytes=" + strconv.FormatInt(size, 10) + "-"
	}
	return "bytes=" + strings.Join(kept, ",")
}

// maxPlaylist bounds a master playlist read into memory to be filtered.
const maxPlaylist = 1 << 20

// filtered reads a master playlist and leaves out the variants above the
// token's height.
//
// Errors: KindInternal for an unreadable or oversized playlist.
func filtered(rc io.Reader, obj object) (io.ReadSeeker, error) {
	data, err := io.ReadAll(io.LimitReader(rc, maxPlaylist+1))
	if err == nil && len(data) > maxPlaylist {
		err = fmt.Errorf("larger than %d bytes", maxPlaylist)
	}
	if err != nil {
		return nil, platform.E(platform.KindInternal, "internal error", fmt.Errorf("media: read %s: %w", obj.key, err))
	}
	return bytes.NewReader(filterMaster(data, obj.maxHeight)), nil
}

// stream writes a blob that cannot seek as a whole: no ranges, but a
// Content-Length from Stat and If-None-Match.
func (g *Gateway) stream(w http.ResponseWriter, r *http.Request, key string, body io.Reader) error {
	info, err := g.blobs.Stat(r.Context(), key)
	if err != nil {
		return blobError(err)
	}
	tag := etag(key, info.Size)
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Accept-Ranges", "none")
	if matches(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := io.Copy(w, body); err != nil {
		g.log.DebugContext(r.Context(), "media: stream ended early", "key", key, "err", err)
	}
	return nil
}

// cacheControl lets the browser keep a file until its token expires, at
// most maxCacheAge: the file under a media id never changes, but the URL
// stops working with the token.
func (g *Gateway) cacheControl(c claims) string {
	left := time.Unix(c.Expires, 0).Sub(g.signer.clock())
	secs := int64(min(max(left, 0), maxCacheAge) / time.Second)
	return "private, max-age=" + strconv.FormatInt(secs, 10)
}

// etag names a version of a blob: its key (hashed) and size. Blobs under a
// media id are written once.
func etag(key string, size int64) string {
	sum := sha256.Sum256([]byte(key))
	return `"` + hex.EncodeToString(sum[:8]) + "-" + strconv.FormatInt(size, 10) + `"`
}

// matches reports whether an If-None-Match header names tag (weakly).
func matches(header, tag string) bool {
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// contentType is the media type of a file by its extension.
func contentType(key string) string {
	switch path.Ext(key) {
	case ".m3u8":
		return "application/vnd.apple.mpegurl"
	case ".ts":
		return "video/mp2t"
	case ".m4s":
		return "video/iso.segment"
	case ".mp4":
		return "video/mp4"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".vtt":
		return "text/vtt; charset=utf-8"
	case ".aac":
		return "audio/aac"
	default:
		return "application/octet-stream"
	}
}

// disposition is the Content-Disposition of a download saved as name
// (RFC 2231 encoding for names that are not plain ASCII).
func disposition(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return `attachment; filename="video.mp4"`
}

// blobError classifies a failed blob read for the client: a missing blob is
// 404, a key the store refuses 403.
func blobError(err error) error {
	switch platform.KindOf(err) {
	case platform.KindNotFound:
		return platform.E(platform.KindNotFound, "not found", err)
	case platform.KindInvalid:
		return platform.E(platform.KindForbidden, "invalid media path", err)
	}
	return fmt.Errorf("media: open blob: %w", err)
}
