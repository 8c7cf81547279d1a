package authn

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
)

type clientIPKey struct{}

// WithClientIP returns ctx carrying the client's address.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIPFrom returns the client's address in ctx ("" when unknown). The
// resolvers copy it into the requests that auth limits (sign-in,
// registration).
func ClientIPFrom(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}

// ClientIP returns middleware that puts the client's address in the
// request context: the connection's peer, or, when the peer is one of the
// trusted proxies, the nearest address in X-Forwarded-For that is not. Only
// trusted proxies may speak for a client: anyone else could send the header
// to spread failed sign-ins over made-up addresses.
func ClientIP(trusted []netip.Prefix) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ip := RemoteIP(r, trusted)
			next.ServeHTTP(w, r.WithContext(WithClientIP(r.Context(), ip)))
		})
	}
}

// RemoteIP is the client's address of r, as ClientIP resolves it. It walks
// X-Forwarded-For from the right (the hop the last proxy added) and stops at
// the first untrusted address; when every hop is trusted it is the leftmost,
// and a hop that is no address ends the walk at the proxy that passed it.
func RemoteIP(r *http.Request, trusted []netip.Prefix) string {
	addr, ok := parseHop(r.RemoteAddr)
	if !ok {
		return ""
	}
	if !isTrusted(addr, trusted) {
		return addr.String()
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			break
		}
		addr = hop
		if !isTrusted(addr, trusted) {
			break
		}
	}
	return addr.String()
}

// forwardedFor is every X-Forwarded-For hop, in order, over all the header's
// lines.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, line := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(line, ",") {
			hops = append(hops, strings.TrimSpace(hop))
		}
	}
	return hops
}

// parseHop reads "addr" or "addr:port" ("[v6]:port"), unmapping IPv4 in
// IPv6 and dropping a zone.
func parseHop(s string) (netip.Addr, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, false
		}
		addr = ap.Addr()
	}
	return addr.Unmap().WithZone(""), true
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
