// Package egress makes outgoing HTTP requests to destinations that users
// chose (Web Push endpoints, outgoing webhooks) without letting those
// users reach the internal network through the server (server-side
// request forgery).
//
// A Guard refuses twice: CheckURL when the URL is accepted (it resolves the
// host and refuses when any address is internal), and a net.Dialer Control
// hook on every connection, which sees the address actually dialled, so a
// host that resolves to a public address at check time and to 127.0.0.1 at
// dial time (DNS rebinding) is still refused. Client returns an
// *http.Client that dials only through that hook.
package egress

import (
	"net/netip"
)

// Class names why an address is refused.
type Class string

// The classes of refused addresses.
const (
	ClassMetadata      Class = "cloud metadata"
	ClassLoopback      Class = "loopback"
	ClassPrivate       Class = "private"
	ClassSharedCGNAT   Class = "shared (carrier-grade NAT)"
	ClassLinkLocal     Class = "link-local"
	ClassUniqueLocal   Class = "unique-local"
	ClassMulticast     Class = "multicast"
	ClassUnspecified   Class = "unspecified"
	ClassBroadcast     Class = "broadcast"
	ClassDocumentation Class = "documentation"
	ClassReserved      Class = "reserved"
)

// metadata are the instance-metadata services of the clouds (AWS, GCP,
// Azure, OpenStack, Oracle: 169.254.169.254; AWS over IPv6; Alibaba). They
// hand out credentials, so they stay refused even when private targets are
// allowed.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("100.100.100.200"),
}

type block struct {
	prefix netip.Prefix
	class  Class
}

func table(class Class, prefixes ...string) []block {
	out := make([]block, len(prefixes))
	for i, p := range prefixes {
		out[i] = block{netip.MustParsePrefix(p), class}
	}
	return out
}

// blocked is the IANA special-purpose registries (IPv4 and IPv6) reduced to
// what a public push service or webhook receiver can never be. More
// specific entries come first so the class named is the precise one.
var blocked = concat(
	table(ClassBroadcast, "255.255.255.255/32"),
	table(ClassUnspecified, "0.0.0.0/8", "::/128"),
	table(ClassLoopback, "127.0.0.0/8", "::1/128"),
	table(ClassPrivate, "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
	table(ClassSharedCGNAT, "100.64.0.0/10"),
	table(ClassLinkLocal, "169.254.0.0/16", "fe80::/10"),
	table(ClassUniqueLocal, "fc00::/7"),
	table(ClassMulticast, "224.0.0.0/4", "ff00::/8"),
	table(ClassDocumentation, "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
		"2001:db8::/32", "3fff::/20"),
	table(ClassReserved,
		"192.0.0.0/24",   // IETF protocol assignments
		"192.88.99.0/24", // 6to4 relay anycast (deprecated)
		"198.18.0.0/15",  // benchmarking
		"240.0.0.0/4",    // future use
		"::/8",           // IPv4-compatible and other reserved (mapped ones are unmapped first)
		"64:ff9b:1::/48", // local-use NAT64
		"100::/64",       // discard-only
		"2001::/23",      // IETF protocol assignments (Teredo, benchmarking, ORCHID)
		"fec0::/10",      // site-local (deprecated)
	),
)

func concat(parts ...[]block) []block {
	var out []block
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Classify says whether ip is an address outgoing requests must not reach,
// and why. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is judged as its
// IPv4 address, and so is the IPv4 address embedded in a NAT64
// (64:ff9b::/96) or 6to4 (2002::/16) address, since the network delivers
// them there. An invalid address is refused as reserved.
func Classify(ip netip.Addr) (Class, bool) {
	if !ip.IsValid() {
		return ClassReserved, true
	}
	ip = ip.WithZone("").Unmap()
	for _, m := range metadata {
		if ip == m {
			return ClassMetadata, true
		}
	}
	if v4, ok := embeddedIPv4(ip); ok {
		return Classify(v4)
	}
	for _, b := range blocked {
		if b.prefix.Contains(ip) {
			return b.class, true
		}
	}
	return "", false
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// embeddedIPv4 returns the IPv4 address a NAT64 or 6to4 address leads to.
func embeddedIPv4(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixTo4.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}
