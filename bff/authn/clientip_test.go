package authn_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/dflix/dflix/bff/authn"
)

func TestRemoteIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"direct client", "203.0.113.5:4711", nil, nil, "203.0.113.5"},
		{"header ignored without trusted proxies", "203.0.113.5:4711", []string{"198.51.100.1"}, nil, "203.0.113.5"},
		{"header ignored from an untrusted peer", "203.0.113.5:4711", []string{"198.51.100.1"}, proxies, "203.0.113.5"},
		{"trusted proxy", "10.1.2.3:80", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"spoofed left part is skipped", "10.1.2.3:80", []string{"1.2.3.4, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"chain of trusted proxies", "10.1.2.3:80", []string{"198.51.100.1, 10.9.9.9", "10.8.8.8"}, proxies, "198.51.100.1"},
		{"all hops trusted: the leftmost", "10.1.2.3:80", []string{"10.7.7.7, 10.9.9.9"}, proxies, "10.7.7.7"},
		{"no header from a proxy", "10.1.2.3:80", nil, proxies, "10.1.2.3"},
		{"garbage hop stops at the proxy", "10.1.2.3:80", []string{"198.51.100.1, not-an-ip"}, proxies, "10.1.2.3"},
		{"hop with a port", "10.1.2.3:80", []string{"198.51.100.1:5555"}, proxies, "198.51.100.1"},
		{"IPv6 peer and hop", "[::1]:80", []string{"[2001:db8::7]:443"}, proxies, "2001:db8::7"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.5]:4711", nil, nil, "203.0.113.5"},
		{"unparsable peer", "pipe", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			assert.Equal(t, tt.want, authn.RemoteIP(r, tt.trusted))

			var seen string
			authn.ClientIP(tt.trusted)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				seen = authn.ClientIPFrom(r.Context())
			})).ServeHTTP(httptest.NewRecorder(), r)
			assert.Equal(t, tt.want, seen, "the middleware puts it in the context")
		})
	}
}
