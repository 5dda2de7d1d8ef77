package egress

import (
	"net"
	"net/http"
	"time"
)

// ClientOptions tune Client; zero values take the defaults.
type ClientOptions struct {
	DialTimeout time.Duration // default 5s
	Timeout     time.Duration // whole request, default 15s
}

// Dialer returns a net.Dialer whose every connection passes Control.
func (g *Guard) Dialer(timeout time.Duration) *net.Dialer {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	return &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: g.Control}
}

// Client returns an HTTP client for user-chosen destinations: it dials
// through Control, uses no proxy (a proxy would dial the destination on our
// behalf, out of the hook's sight), follows no redirect (a receiver
// answers; it has no reason to send us elsewhere) and, without AllowHTTP,
// sends nothing but https. Its refusals match ErrRefused.
func (g *Guard) Client(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = g.Dialer(o.DialTimeout).DialContext
	tr.MaxIdleConnsPerHost = 16
	return &http.Client{
		Transport:     schemeGuard{g: g, next: tr},
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// schemeGuard refuses a request whose scheme the policy does not allow
// before it reaches the transport (a stored URL may predate the policy).
type schemeGuard struct {
	g    *Guard
	next http.RoundTripper
}

func (s schemeGuard) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := s.g.checkScheme(r.URL); err != nil {
		if r.Body != nil {
			_ = r.Body.Close() // RoundTrip must close it, even on error
		}
		return nil, err
	}
	return s.next.RoundTrip(r)
}
