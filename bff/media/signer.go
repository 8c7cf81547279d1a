package media

import (
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

// Signer issues media URLs. It is safe for concurrent use.
type Signer struct {
	key   []byte
	clock platform.Clock
}

// NewSigner returns a signer with key (from LoadKey) telling time with
// clock (nil for the system clock).
//
// Errors: KindInvalid for a key shorter than KeySize bytes.
func NewSigner(key []byte, clock platform.Clock) (*Signer, error) {
	if len(key) < KeySize {
		return nil, platform.Errorf(platform.KindInvalid, "media: signing key must be at least %d bytes", KeySize)
	}
	if clock == nil {
		clock = platform.SystemClock
	}
	return &Signer{key: append([]byte(nil), key...), clock: clock}, nil
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
// playlist for viewer, "/media/<token>/master.m3u8", valid for ttl; the
// playlists and segments it refers to are served under the same token. A
// positive maxHeight limits it to the renditions at or below that height.
func (s *Signer) PlaybackURL(viewer Viewer, videoID, mediaID string, maxHeight int, ttl time.Duration) (string, time.Time) {
	exp := expiry(s.clock().Add(ttl))
	token := sign(s.key, s.viewerClaims(viewer, claims{Video: videoID, Media: mediaID, Kind: KindHLS, MaxHeight: max(maxHeight, 0), Expires: exp.Unix()}))
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
	token := sign(s.key, claims{Video: videoID, Media: mediaID, Kind: KindPoster, Expires: exp.Unix()})
	return Prefix + token + "/poster.jpg", exp
}

// DownloadURL returns the root-relative URL of one rendition's whole MP4
// for viewer, "/media/<token>/<filename>.mp4", valid for ttl. filename
// (path and control characters removed, ".mp4" added if missing) is what
// the browser saves the file as.
func (s *Signer) DownloadURL(viewer Viewer, videoID, mediaID, rendition, filename string, ttl time.Duration) (string, time.Time) {
	exp := expiry(s.clock().Add(ttl))
	token := sign(s.key, s.viewerClaims(viewer, claims{Video: videoID, Media: mediaID, Kind: KindDownload, Rendition: rendition, Expires: exp.Unix()}))
	return Prefix + token + "/" + url.PathEscape(downloadName(filename, rendition)), exp
}

// verify checks a token against the signer's key and clock.
//
// Errors: KindForbidden for a malformed, tampered or expired token.
func (s *Signer) verify(token string) (claims, error) {
	return verify(s.key, token, s.clock())
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
