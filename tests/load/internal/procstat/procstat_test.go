package procstat

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

func TestSelf(t *testing.T) {
	t.Parallel()
	pid := os.Getpid()
	if _, err := CPUTicks(pid); err != nil {
		t.Fatal(err)
	}
	if r, err := RSS(pid); err != nil || r < 1<<20 {
		t.Fatalf("RSS = %d, %v", r, err)
	}
	g := ParseGroups(fmt.Sprintf("me=%d, junk, pg=postgres:@bin/postgres", pid))
	if len(g) != 2 || g[0].Pids[0] != pid || g[1].Pattern != "postgres:" || g[1].ReapedBy != "bin/postgres" {
		t.Fatalf("groups = %+v", g)
	}
	m := Start(g[:1], 20*time.Millisecond)
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
	}
	r := m.Stop()
	if u := r.Groups["me"]; u.Procs != 1 || u.RSSBytes == 0 || r.Cores < 1 || u.Cores < 0.5 {
		t.Errorf("report = %+v", r)
	}
}

func TestScrape(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# HELP x\ngateway_connections 42\nhttp_requests_total{code=\"200\"} 3\nhttp_requests_total{code=\"500\"} 1\n")
	}))
	defer srv.Close()
	m, err := Scrape(t.Context(), srv.URL)
	if err != nil || m["gateway_connections"] != 42 || m["http_requests_total"] != 4 {
		t.Fatalf("Scrape = %v, %v", m, err)
	}
}
