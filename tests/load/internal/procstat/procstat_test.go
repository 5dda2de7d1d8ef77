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
	// Spin until this process has used 0.2 s of CPU, however busy the
	// machine is (a wall-clock spin gets less CPU on a loaded machine).
	start, _ := CPUTicks(pid)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		if now, _ := CPUTicks(pid); now-start >= 20 {
			break
		}
	}
	r := m.Stop()
	if u := r.Groups["me"]; u.Procs != 1 || u.RSSBytes == 0 || r.Cores < 1 || u.CPUSec < 0.15 || u.Cores <= 0 {
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
