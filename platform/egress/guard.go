package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Policy is what a Guard lets through.
type Policy struct {
	// AllowPrivate admits loopback, private, link-local and the other
	// internal classes (ALLOW_PRIVATE_WEBHOOKS: local push services and
	// webhook receivers in development and tests). Cloud metadata
	// addresses stay refused.
	AllowPrivate bool
	// AllowHTTP admits http:// URLs; without it only https is accepted
	// (production).
	AllowHTTP bool
}

// ErrRefused is matched (errors.Is) by every refusal of a Guard: the
// destination is not allowed, and asking again will not change that.
var ErrRefused = errors.New("egress: destination refused")

// ErrUnresolvable is matched when the host of a URL has no address. A
// temporary resolver failure is returned as the resolver's error instead.
var ErrUnresolvable = errors.New("egress: host does not resolve")

// RefusedError says which destination was refused and why. Its message
// names the host and the class, never the URL's path or query (a push
// endpoint's path is a secret).
type RefusedError struct {
	Host   string // as given: a name or an address
	Addr   netip.Addr
	Reason string // e.g. "loopback address", "scheme must be https"
}

func (e *RefusedError) Error() string {
	if e.Addr.IsValid() && e.Host != e.Addr.String() {
		return fmt.Sprintf("destination %s (%s) refused: %s", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("destination %s refused: %s", e.Host, e.Reason)
}

// Is makes errors.Is(err, ErrRefused) hold.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// lookupTimeout bounds CheckURL's name resolution.
const lookupTimeout = 5 * time.Second

// Resolver looks host names up; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard applies a Policy to URLs and to connections. Safe for concurrent
// use; build one per process and share it.
type Guard struct {
	policy   Policy
	resolver Resolver
}

// New returns a Guard for p; r nil is net.DefaultResolver.
func New(p Policy, r Resolver) *Guard {
	if r == nil {
		r = net.DefaultResolver
	}
	return &Guard{policy: p, resolver: r}
}

// Policy returns the guard's policy.
func (g *Guard) Policy() Policy { return g.policy }

// CheckAddr refuses ip when the policy does not allow it; host names the
// destination in the error.
func (g *Guard) CheckAddr(host string, ip netip.Addr) error {
	class, bad := Classify(ip)
	if !bad || (g.policy.AllowPrivate && class != ClassMetadata) {
		return nil
	}
	return &RefusedError{Host: host, Addr: ip.Unmap(), Reason: string(class) + " address"}
}

// CheckURL refuses raw unless it is an absolute http(s) URL (https only
// without AllowHTTP) without user info, whose host resolves only to allowed
// addresses: one internal address among public ones is enough to refuse,
// since the dialler might pick it. The dial-time check (Control) still
// applies to what is dialled later; this one lets a caller refuse bad input
// up front with a clear message.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return &RefusedError{Host: "?", Reason: "not an absolute URL"}
	}
	host := u.Hostname()
	if err := g.checkScheme(u); err != nil {
		return err
	}
	if u.User != nil {
		return &RefusedError{Host: host, Reason: "user information in the URL"}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return g.CheckAddr(host, ip)
	}
	if strings.HasSuffix(strings.TrimSuffix(strings.ToLower(host), "."), ".localhost") ||
		strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		// RFC 6761: never sent to DNS; always loopback.
		return g.CheckAddr(host, netip.IPv6Loopback())
	}
	// A slow resolver must not hold the caller (a REST request) for long.
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return fmt.Errorf("%s: %w", host, ErrUnresolvable)
		}
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%s: %w", host, ErrUnresolvable)
	}
	for _, ip := range addrs {
		if err := g.CheckAddr(host, ip); err != nil {
			return err
		}
	}
	return nil
}

func (g *Guard) checkScheme(u *url.URL) error {
	switch strings.ToLower(u.Scheme) {
	case "https":
		return nil
	case "http":
		if g.policy.AllowHTTP {
			return nil
		}
	}
	return &RefusedError{Host: u.Hostname(), Reason: "scheme must be https"}
}

// Control is a net.Dialer Control hook: it runs after name resolution, on
// the address about to be connected, and refuses it unless the policy
// allows it. Whatever resolved the name, nothing else is dialled.
func (g *Guard) Control(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &RefusedError{Host: address, Reason: "unparsable address"}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return &RefusedError{Host: host, Reason: "not an IP address"}
	}
	return g.CheckAddr(host, ip)
}
