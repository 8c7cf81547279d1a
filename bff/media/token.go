package media

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dflix/dflix/services/platform"
)

// The kinds of access a token grants.
const (
	// KindHLS grants the media's HLS folder: the master playlist and,
	// relative to it, rendition playlists, segments, poster and thumbnails.
	KindHLS = "hls"
	// KindDownload grants one rendition's whole MP4.
	KindDownload = "dl"
	// KindPoster grants the still images only (poster.jpg and, beside it,
	// thumbnails.jpg), so that a poster URL shown to anyone browsing the
	// catalog does not open the video itself.
	KindPoster = "img"
)

// maxToken bounds the length of a token in a URL.
const maxToken = 1024

// validName reports whether s may be a media id or rendition name in a
// token: 1 to 128 ASCII letters, digits, '-' or '_', so that neither can
// form a path of its own.
func validName(s string) bool {
	return len(s) >= 1 && len(s) <= 128 && !strings.ContainsFunc(s, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_'
	})
}

// maxSubject bounds the user id a token names: it is only compared, never
// part of a path, so any id an issuer may use fits.
const maxSubject = 256

// claims are what a token asserts.
type claims struct {
	Video     string `json:"v"`
	Media     string `json:"m"`
	Kind      string `json:"k"`
	Rendition string `json:"r,omitempty"`
	// Subject and Issued bind an hls or dl token to the viewer who asked for
	// it: their user id and the issue time (Unix seconds) of the access
	// token they asked with, so the link dies when that token is revoked.
	// Poster tokens, shown to anyone browsing, name nobody.
	Subject string `json:"s,omitempty"`
	Issued  int64  `json:"i,omitempty"`
	// MaxHeight, when set, limits an hls token to the renditions at or
	// below that height (the viewer's plan): the master playlist lists no
	// others and their files are refused.
	MaxHeight int   `json:"h,omitempty"`
	Expires   int64 `json:"e"` // Unix seconds
}

// sign returns the token for c signed by the key kid names: kid "."
// base64url(JSON claims) "." base64url of the HMAC-SHA256 of the first two
// parts, so that the key id cannot be changed either.
func sign(kid string, key []byte, c claims) string {
	data, _ := json.Marshal(c) // strings and an int: Marshal cannot fail
	signed := kid + "." + base64.RawURLEncoding.EncodeToString(data)
	return signed + "." + base64.RawURLEncoding.EncodeToString(mac(key, signed))
}

func mac(key []byte, signed string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(signed))
	return m.Sum(nil)
}

// rawToken is a token split into its parts, not verified yet.
type rawToken struct {
	// kid names the signing key; "" for a two-part token of earlier
	// versions, which the legacy key signed.
	kid     string
	signed  string // what the MAC covers: "kid.payload", or the bare payload
	payload string
	sig     string
}

// parseToken splits a token into its parts: "kid.payload.sig", or the
// legacy "payload.sig". A legacy MAC covers a payload without a '.', a
// current one a string with one, so neither can pass for the other.
//
// Errors: KindForbidden for a malformed token.
func parseToken(token string) (rawToken, error) {
	if len(token) > maxToken {
		return rawToken{}, invalidToken(errors.New("malformed token"))
	}
	parts := strings.Split(token, ".")
	switch {
	case len(parts) == 2:
		return rawToken{signed: parts[0], payload: parts[0], sig: parts[1]}, nil
	case len(parts) == 3 && validKID(parts[0]):
		return rawToken{kid: parts[0], signed: parts[0] + "." + parts[1], payload: parts[1], sig: parts[2]}, nil
	}
	return rawToken{}, invalidToken(errors.New("malformed token"))
}

// verify checks the token's signature with key (in constant time), then
// its claims and expiry against now.
//
// Errors: KindForbidden for a tampered or expired token.
func (t rawToken) verify(key []byte, now time.Time) (claims, error) {
	// Strict: the unused low bits of the last character must be zero, or
	// several tokens would carry one signature (a changed last character
	// still verified).
	got, err := base64.RawURLEncoding.Strict().DecodeString(t.sig)
	if err != nil || !hmac.Equal(got, mac(key, t.signed)) {
		return claims{}, invalidToken(errors.New("bad signature"))
	}
	data, err := base64.RawURLEncoding.DecodeString(t.payload)
	if err != nil {
		return claims{}, invalidToken(fmt.Errorf("decode claims: %w", err))
	}
	var c claims
	if err := json.Unmarshal(data, &c); err != nil {
		return claims{}, invalidToken(fmt.Errorf("decode claims: %w", err))
	}
	if err := c.check(); err != nil {
		return claims{}, invalidToken(err)
	}
	if !now.Before(time.Unix(c.Expires, 0)) {
		return claims{}, platform.E(platform.KindForbidden, "media link expired", nil)
	}
	return c, nil
}

// check validates signed claims (a key holder could still sign nonsense).
func (c claims) check() error {
	switch {
	case !validName(c.Media):
		return fmt.Errorf("bad media id %q", c.Media)
	case c.Kind == KindDownload && !validName(c.Rendition):
		return fmt.Errorf("bad rendition %q", c.Rendition)
	case c.Kind != KindHLS && c.Kind != KindDownload && c.Kind != KindPoster:
		return fmt.Errorf("bad kind %q", c.Kind)
	case c.Kind != KindPoster && (c.Subject == "" || len(c.Subject) > maxSubject):
		return fmt.Errorf("%s token without a valid subject", c.Kind)
	}
	return nil
}

func invalidToken(cause error) error {
	return platform.E(platform.KindForbidden, "invalid media link", cause)
}
