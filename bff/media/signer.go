package media

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/dflix/dflix/services/platform"
)

// Prefix is the URL path under which media URLs live and Gateway serves.
const Prefix = "/media/"

// PosterTTL is how long a poster URL lives past the hour it was signed in.
const PosterTTL = 24 * time.Hour

// Signer issues media URLs and verifies their tokens with the keys of a
// KeyRing. It is safe for concurrent use.
type Signer struct {
	keys   *KeyRing
	clock  platform.Clock
	maxTTL time.Duration
}

// NewSigner returns a signer over keys (from LoadKeyRing), telling time
// with the ring's clock. maxTTL is the longest lifetime of a playback or
// download URL it signs (longer ttls are cut to it): with PosterTTL it
// bounds how long a key must keep verifying after it stopped signing.
//
// Errors: KindInvalid for nil keys or a maxTTL that is not positive.
func NewSigner(keys *KeyRing, maxTTL time.Duration) (*Signer, error) {
	if keys == nil || maxTTL <= 0 {
		return nil, platform.Errorf(platform.KindInvalid, "media: a signer needs a key ring and a positive maximum lifetime")
	}
	return &Signer{keys: keys, clock: keys.clock, maxTTL: maxTTL}, nil
}

// Lifetime is the longest a URL the signer issues may live: maxTTL, or a
// poster URL's PosterTTL past the next whole hour, plus the second that
// expiries are rounded up by.
func (s *Signer) Lifetime() time.Duration {
	return max(s.maxTTL, PosterTTL+time.Hour) + time.Second
}

// retention is how long a key keeps verifying after it stopped signing:
// the longest lifetime of the URLs it signed, plus an activation delay for
// a replica whose copy of the ring is stale (a failed reload, a slow
// clock), so that it signed a little longer.
func (s *Signer) retention() time.Duration {
	return s.Lifetime() + s.keys.activationDelay
}

// RotateKey adds a signing key to the ring. Every replica loads it within
// a reload interval and signs with it from its ActiveAt on; URLs signed
// before keep playing until they expire. Keys that stopped signing longer
// than the longest URL lifetime ago (plus the activation delay) are
// dropped from the ring.
//
// Errors: KindConflict when other rotations kept winning the race; a failed
// read or write of the ring keeps its kind (KindUnavailable).
func (s *Signer) RotateKey(ctx context.Context) (Rotation, error) {
	return s.keys.rotate(ctx, s.retention())
}

// sign signs c with the key that signs now.
func (s *Signer) sign(now time.Time, c claims) string {
	k := s.keys.signing(now)
	return sign(k.KID, k.Key, c)
}

// Viewer is whom a playback or download URL is for: the signed-in user
// and the issue time of the access token they asked with. The gateway
// refuses the URL once the user's tokens issued by then are revoked
// (password change, refresh-token reuse, role change, deletion).
type Viewer struct {
	UserID   string
	IssuedAt time.Time
}

// viewerClaims returns c naming v; a zero IssuedAt counts as now.
func (s *Signer) viewerClaims(v Viewer, c claims) claims {
	issued := v.IssuedAt
	if issued.IsZero() {
		issued = s.clock()
	}
	c.Subject, c.Issued = v.UserID, issued.Unix()
	return c
}

// PlaybackURL returns the root-relative URL of the media's HLS master
// playlist for viewer, "/media/<token>/master.m3u8", valid for ttl (at
// most the signer's maxTTL); the playlists and segments it refers to are
// served under the same token. A positive maxHeight limits it to the
// renditions at or below that height.
func (s *Signer) PlaybackURL(viewer Viewer, videoID, mediaID string, maxHeight int, ttl time.Duration) (string, time.Time) {
	now := s.clock()
	exp := expiry(now.Add(min(ttl, s.maxTTL)))
	token := s.sign(now, s.viewerClaims(viewer, claims{Video: videoID, Media: mediaID, Kind: KindHLS, MaxHeight: max(maxHeight, 0), Expires: exp.Unix()}))
	return Prefix + token + "/master.m3u8", exp
}

// PosterURL returns the root-relative URL of the media's poster image,
// "/media/<token>/poster.jpg"; the same token serves the thumbnail strip
// beside it ("thumbnails.jpg") and nothing else. Its expiry is the next whole hour plus
// PosterTTL, so the same URL comes back for an hour and browsers can cache
// the image.
func (s *Signer) PosterURL(videoID, mediaID string) (string, time.Time) {
	now := s.clock()
	hour := now.Truncate(time.Hour)
	if hour.Before(now) {
		hour = hour.Add(time.Hour)
	}
	exp := hour.Add(PosterTTL).UTC()
	token := s.sign(now, claims{Video: videoID, Media: mediaID, Kind: KindPoster, Expires: exp.Unix()})
	return Prefix + token + "/poster.jpg", exp
}

// DownloadURL returns the root-relative URL of one rendition's whole MP4
// for viewer, "/media/<token>/<filename>.mp4", valid for ttl (at most
// the signer's maxTTL). filename (path and control characters removed,
// ".mp4" added if missing) is what the browser saves the file as.
func (s *Signer) DownloadURL(viewer Viewer, videoID, mediaID, rendition, filename string, ttl time.Duration) (string, time.Time) {
	now := s.clock()
	exp := expiry(now.Add(min(ttl, s.maxTTL)))
	token := s.sign(now, s.viewerClaims(viewer, claims{Video: videoID, Media: mediaID, Kind: KindDownload, Rendition: rendition, Expires: exp.Unix()}))
	return Prefix + token + "/" + url.PathEscape(downloadName(filename, rendition)), exp
}

// verify checks a token against the key it names and the signer's clock.
//
// Errors: KindForbidden for a malformed, tampered or expired token, or one
// naming a key the ring does not have (after a reload) or has retired.
func (s *Signer) verify(ctx context.Context, token string) (claims, error) {
	raw, err := parseToken(token)
	if err != nil {
		return claims{}, err
	}
	key, err := s.keys.lookup(ctx, raw.kid, s.retention())
	if err != nil {
		return claims{}, err
	}
	return raw.verify(key, s.clock())
}

// expiry rounds t up to a whole second, as tokens carry Unix seconds.
func expiry(t time.Time) time.Time {
	sec := t.Truncate(time.Second)
	if sec.Before(t) {
		sec = sec.Add(time.Second)
	}
	return sec.UTC()
}

// downloadName makes a safe file name ending in ".mp4".
func downloadName(filename, rendition string) string {
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(filename))
	name = strings.TrimSuffix(name, ".mp4")
	if strings.Trim(name, ".") == "" {
		name = "video-" + rendition
	}
	return fmt.Sprintf("%.200s.mp4", name)
}
