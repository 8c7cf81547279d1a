package bff

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// originAllowed is the websocket CheckOrigin: requests without an Origin
// (non-browser clients) and from the server's own host pass; other browser
// origins must match a pattern of Config.AllowedOrigins (path.Match on the
// host, or on scheme://host when the pattern has a scheme; "*" allows any).
func originAllowed(r *http.Request, patterns []string) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, err := path.Match(strings.ToLower(p), strings.ToLower(target)); p == "*" || (err == nil && ok) {
			return true
		}
	}
	return false
}
