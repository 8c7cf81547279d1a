package media

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// Gateway serves media files under Prefix: "/media/<token>/<path>". It is
// safe for concurrent use.
type Gateway struct {
	signer  *Signer
	blobs   platform.Blob
	revoked Revocations // nil: links die only by expiry
	log     *slog.Logger
}

var _ http.Handler = (*Gateway)(nil)

// Revocations says whether a user's access tokens issued at issuedAt were
// revoked since (authn.Revocations does). The gateway asks it on every
// playlist and segment, so it must answer from memory, never by calling a
// service.
type Revocations interface {
	Check(userID string, issuedAt time.Time) error
}

// NewGateway returns a gateway that checks tokens with signer, refuses the
// playback and download links of viewers whose tokens revoked says were
// revoked (nil checks none), and reads files from blobs; a nil log
// discards.
func NewGateway(signer *Signer, blobs platform.Blob, revoked Revocations, log *slog.Logger) *Gateway {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gateway{signer: signer, blobs: blobs, revoked: revoked, log: log}
}

// object is the blob a request resolves to.
type object struct {
	key        string
	claims     claims
	attachment string // the file name to save a download as, else ""
	// maxHeight > 0 asks for the master playlist without the variants
	// above it.
	maxHeight int
}

// ServeHTTP serves GET and HEAD (else 405) of "/media/<token>/<path>"
// (mount it at Prefix, unstripped). A malformed, tampered, expired or
// revoked token, or a path that tries to leave the media's folder, is 403;
// a missing file 404. Files are served with range and conditional request support where
// the blob store's reader can seek.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	obj, err := g.resolve(r.Context(), r.URL.Path)
	if err != nil {
		g.writeError(w, r, err)
		return
	}
	if err := g.serve(w, r, obj); err != nil {
		g.writeError(w, r, err)
	}
}

// resolve checks the token and maps the path below it to a blob key.
//
// Errors: KindForbidden for a bad token or path; KindNotFound for a path
// outside the endpoint or an empty one.
func (g *Gateway) resolve(ctx context.Context, urlPath string) (object, error) {
	rest, ok := strings.CutPrefix(urlPath, Prefix)
	token, rel, found := strings.Cut(rest, "/")
	if !ok || !found || token == "" {
		return object{}, platform.E(platform.KindNotFound, "not found", nil)
	}
	c, err := g.signer.verify(ctx, token)
	if err != nil {
		return object{}, err
	}
	if err := g.checkViewer(c); err != nil {
		return object{}, err
	}
	if err := checkPath(rel); err != nil {
		return object{}, err
	}
	obj := object{claims: c}
	switch c.Kind {
	case KindHLS:
		if err := checkHeight(c, rel); err != nil {
			return object{}, err
		}
		obj.key = "media/" + c.Media + "/hls/" + rel
		if rel == masterPlaylist {
			obj.maxHeight = c.MaxHeight
		}
	case KindPoster:
		if rel != "poster.jpg" && rel != "thumbnails.jpg" {
			return object{}, platform.E(platform.KindForbidden, "this link grants the poster and thumbnails only", nil)
		}
		obj.key = "media/" + c.Media + "/hls/" + rel
	case KindDownload:
		if strings.Contains(rel, "/") {
			return object{}, platform.E(platform.KindNotFound, "not found", nil)
		}
		obj.key, obj.attachment = "media/"+c.Media+"/mp4/"+c.Rendition+".mp4", rel
	}
	if err := platform.CheckBlobKey(obj.key); err != nil {
		return object{}, platform.E(platform.KindForbidden, "invalid media path", err)
	}
	return obj, nil
}

// checkViewer refuses the link of a viewer whose access token it was asked
// with has been revoked since.
//
// Errors: KindForbidden.
func (g *Gateway) checkViewer(c claims) error {
	if g.revoked == nil || c.Subject == "" {
		return nil
	}
	if err := g.revoked.Check(c.Subject, time.Unix(c.Issued, 0)); err != nil {
		return platform.E(platform.KindForbidden, "media link revoked", err)
	}
	return nil
}

// checkPath accepts a clean relative path with no "." or ".." segment.
//
// Errors: KindNotFound for an empty path; KindForbidden otherwise.
func checkPath(rel string) error {
	if rel == "" {
		return platform.E(platform.KindNotFound, "not found", nil)
	}
	if path.Clean(rel) != rel || strings.HasPrefix(rel, "/") || strings.ContainsAny(rel, "\\\x00") ||
		rel == ".." || strings.HasPrefix(rel, "../") || strings.Contains(rel, "/../") {
		return platform.Errorf(platform.KindForbidden, "invalid media path")
	}
	return nil
}

// writeError answers err as plain text with its kind's status.
func (g *Gateway) writeError(w http.ResponseWriter, r *http.Request, err error) {
	kind := platform.KindOf(err)
	status := platform.HTTPStatus(kind)
	if kind == platform.KindInternal || kind == platform.KindUnavailable {
		g.log.ErrorContext(r.Context(), "media: request failed", "path", r.URL.Path, "status", status, "err", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, platform.PublicMessage(err), status)
}
