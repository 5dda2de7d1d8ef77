package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeResolver answers from a table; names not in it are NXDOMAIN.
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	ips, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, len(ips))
	for i, s := range ips {
		out[i] = netip.MustParseAddr(s)
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	t.Parallel()
	res := fakeResolver{
		"push.example.com":     {"93.184.216.34", "2606:2800:220:1::1"},
		"internal.example.com": {"10.0.0.5"},
		"mixed.example.com":    {"93.184.216.34", "127.0.0.1"},
		"meta.example.com":     {"169.254.169.254"},
		"v6meta.example.com":   {"fd00:ec2::254"},
	}
	strict := New(Policy{}, res)
	lax := New(Policy{AllowPrivate: true, AllowHTTP: true}, res)
	cases := []struct {
		url           string
		strict, lax   bool // allowed?
		wantInMessage string
	}{
		{"https://push.example.com/wpush/v2/abc", true, true, ""},
		{"https://127.0.0.1:8443/push", false, true, "loopback"},
		{"https://169.254.169.254/latest/meta-data/", false, false, "cloud metadata"},
		{"https://[::1]/x", false, true, "loopback"},
		{"https://[::ffff:127.0.0.1]/x", false, true, "loopback"},
		{"https://[fd00:ec2::254]/x", false, false, "cloud metadata"},
		{"https://internal.example.com/x", false, true, "private"},
		{"https://mixed.example.com/x", false, true, "loopback"},
		{"https://meta.example.com/x", false, false, "cloud metadata"},
		{"https://v6meta.example.com/x", false, false, "cloud metadata"},
		{"https://localhost:9000/x", false, true, "loopback"},
		{"https://api.localhost/x", false, true, "loopback"},
		{"http://push.example.com/x", false, true, "https"},
		{"ftp://push.example.com/x", false, false, "https"},
		{"https://user:pw@push.example.com/x", false, false, "user information"},
		{"/relative", false, false, "absolute"},
		{"https://100.64.1.1/x", false, true, "carrier-grade"},
		{"https://0.0.0.0/x", false, true, "unspecified"},
		{"https://224.0.0.1/x", false, true, "multicast"},
	}
	for _, c := range cases {
		for _, g := range []struct {
			guard *Guard
			ok    bool
		}{{strict, c.strict}, {lax, c.lax}} {
			err := g.guard.CheckURL(t.Context(), c.url)
			if g.ok != (err == nil) {
				t.Errorf("%+v CheckURL(%s) = %v, want allowed %v", g.guard.Policy(), c.url, err, g.ok)
				continue
			}
			if err != nil {
				if !errors.Is(err, ErrRefused) {
					t.Errorf("CheckURL(%s) = %v, not ErrRefused", c.url, err)
				}
				if !strings.Contains(err.Error(), c.wantInMessage) {
					t.Errorf("CheckURL(%s) = %q, want it to mention %q", c.url, err, c.wantInMessage)
				}
				if strings.Contains(err.Error(), "/x") || strings.Contains(err.Error(), "meta-data") {
					t.Errorf("CheckURL(%s) = %q leaks the path", c.url, err)
				}
			}
		}
	}
	if err := strict.CheckURL(t.Context(), "https://nxdomain.example.com/x"); !errors.Is(err, ErrUnresolvable) {
		t.Errorf("unknown host: %v, want ErrUnresolvable", err)
	}
}

// TestControlRefusesAtDialTime: whatever a URL's host resolved to when it
// was checked, the hook refuses the address actually dialled.
func TestControlRefusesAtDialTime(t *testing.T) {
	t.Parallel()
	g := New(Policy{}, fakeResolver{"rebind.example.com": {"93.184.216.34"}})
	// The pre-check sees a public address...
	if err := g.CheckURL(t.Context(), "https://rebind.example.com/x"); err != nil {
		t.Fatal(err)
	}
	// ... and the name then resolves to loopback when dialled.
	for _, addr := range []string{"127.0.0.1:443", "[::1]:443", "[::ffff:127.0.0.1]:443", "169.254.169.254:80", "10.0.0.1:443"} {
		if err := g.Control("tcp", addr, nil); !errors.Is(err, ErrRefused) {
			t.Errorf("Control(%s) = %v, want ErrRefused", addr, err)
		}
	}
	if err := g.Control("tcp4", "93.184.216.34:443", nil); err != nil {
		t.Errorf("Control(public) = %v", err)
	}
}

// TestClientRefusesLocalServer: a listening local server is not reached by
// the guarded client, whether named by address or by a host name that
// resolves to it (the pre-check is not called: only the dialer stands in
// the way), unless private targets are allowed.
func TestClientRefusesLocalServer(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	strict := New(Policy{AllowHTTP: true}, nil).Client(ClientOptions{})
	for _, u := range []string{srv.URL + "/push", "http://localhost:" + port + "/push"} {
		res, err := strict.Post(u, "application/octet-stream", strings.NewReader("x"))
		if err == nil {
			res.Body.Close()
			t.Fatalf("POST %s reached the local server: %d", u, res.StatusCode)
		}
		if !errors.Is(err, ErrRefused) {
			t.Errorf("POST %s: %v, want ErrRefused", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("local server got %d requests", n)
	}

	httpsOnly := New(Policy{AllowPrivate: true}, nil).Client(ClientOptions{})
	if _, err := httpsOnly.Get(srv.URL); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "https") {
		t.Errorf("http:// without AllowHTTP: %v", err)
	}

	lax := New(Policy{AllowPrivate: true, AllowHTTP: true}, nil).Client(ClientOptions{})
	res, err := lax.Post(srv.URL+"/push", "application/octet-stream", strings.NewReader("x"))
	if err != nil {
		t.Fatalf("AllowPrivate: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || hits.Load() != 1 {
		t.Errorf("AllowPrivate: status %d, hits %d", res.StatusCode, hits.Load())
	}
}

// TestClientNoRedirect: a receiver's redirect is not followed (it could
// point anywhere, and the answer is the receiver's own).
func TestClientNoRedirect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c := New(Policy{AllowPrivate: true, AllowHTTP: true}, nil).Client(ClientOptions{})
	res, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusFound {
		t.Errorf("status %d, want the 302 itself", res.StatusCode)
	}
}
