package egress

import (
	"net/netip"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		ip    string
		class Class // "" = allowed
	}{
		// IPv4
		{"127.0.0.1", ClassLoopback},
		{"127.255.255.254", ClassLoopback},
		{"10.1.2.3", ClassPrivate},
		{"172.16.0.1", ClassPrivate},
		{"172.31.255.255", ClassPrivate},
		{"192.168.1.1", ClassPrivate},
		{"100.64.0.1", ClassSharedCGNAT},
		{"100.127.255.255", ClassSharedCGNAT},
		{"169.254.1.1", ClassLinkLocal},
		{"169.254.169.254", ClassMetadata},
		{"100.100.100.200", ClassMetadata},
		{"224.0.0.1", ClassMulticast},
		{"239.255.255.250", ClassMulticast},
		{"0.0.0.0", ClassUnspecified},
		{"0.1.2.3", ClassUnspecified},
		{"255.255.255.255", ClassBroadcast},
		{"192.0.2.10", ClassDocumentation},
		{"198.51.100.7", ClassDocumentation},
		{"203.0.113.99", ClassDocumentation},
		{"198.18.0.1", ClassReserved},
		{"192.0.0.8", ClassReserved},
		{"240.0.0.1", ClassReserved},
		{"8.8.8.8", ""},
		{"142.250.74.138", ""}, // fcm.googleapis.com-like
		{"172.32.0.1", ""},     // just past 172.16/12
		{"100.128.0.1", ""},    // just past 100.64/10
		{"169.255.0.1", ""},
		// IPv6
		{"::1", ClassLoopback},
		{"::", ClassUnspecified},
		{"fe80::1", ClassLinkLocal},
		{"fe80::1%eth0", ClassLinkLocal},
		{"fc00::1", ClassUniqueLocal},
		{"fd12:3456::1", ClassUniqueLocal},
		{"fd00:ec2::254", ClassMetadata},
		{"ff02::1", ClassMulticast},
		{"2001:db8::1", ClassDocumentation},
		{"3fff::1", ClassDocumentation},
		{"fec0::1", ClassReserved},
		{"2001::1", ClassReserved}, // Teredo
		{"100::1", ClassReserved},
		{"::127.0.0.1", ClassReserved}, // IPv4-compatible, deprecated
		{"2606:4700::1111", ""},
		{"2a00:1450:4001:80b::200a", ""},
		// IPv4 in IPv6 clothing
		{"::ffff:127.0.0.1", ClassLoopback},
		{"::ffff:169.254.169.254", ClassMetadata},
		{"::ffff:10.0.0.1", ClassPrivate},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::7f00:1", ClassLoopback},    // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", ClassMetadata}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", ""},              // NAT64 of 8.8.8.8
		{"2002:0a00:0001::1", ClassPrivate},   // 6to4 of 10.0.0.1
		{"2002:0808:0808::1", ""},
	}
	for _, c := range cases {
		got, bad := Classify(netip.MustParseAddr(c.ip))
		if bad != (c.class != "") || got != c.class {
			t.Errorf("Classify(%s) = %q, %v; want %q", c.ip, got, bad, c.class)
		}
	}
	if _, bad := Classify(netip.Addr{}); !bad {
		t.Error("the zero Addr is allowed")
	}
}

func TestCheckAddrPolicy(t *testing.T) {
	t.Parallel()
	strict := New(Policy{}, nil)
	lax := New(Policy{AllowPrivate: true}, nil)
	for _, ip := range []string{"127.0.0.1", "10.0.0.1", "::1", "fd12::1", "169.254.1.1"} {
		a := netip.MustParseAddr(ip)
		if err := strict.CheckAddr(ip, a); err == nil {
			t.Errorf("strict guard allows %s", ip)
		}
		if err := lax.CheckAddr(ip, a); err != nil {
			t.Errorf("AllowPrivate refuses %s: %v", ip, err)
		}
	}
	for _, ip := range []string{"169.254.169.254", "fd00:ec2::254", "100.100.100.200", "::ffff:169.254.169.254"} {
		if err := lax.CheckAddr(ip, netip.MustParseAddr(ip)); err == nil {
			t.Errorf("AllowPrivate allows the metadata address %s", ip)
		}
	}
}
