package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests run functions of lib.sh in bash with a PATH of fake commands
// (apt-get, dnf, id, pg_ctl, redis-server), so the install logic of
// `go tool task up` is checked without installing or removing anything.

// fakeBin makes a directory for PATH holding the given fake commands
// (name -> shell body) and links to the few real tools lib.sh needs. Fake
// commands append "name args" to $dir/calls.
func fakeBin(t *testing.T, cmds map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range []string{"basename", "dirname", "ls", "sort", "tail", "cat"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range cmds {
		script := "#!/bin/bash\necho \"" + name + " $*\" >>" + filepath.Join(dir, "calls") + "\n" + body + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runLib sources lib.sh and runs script with PATH=bin only.
func runLib(t *testing.T, bin, script string, env ...string) (string, error) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	root, _ := filepath.Abs("..")
	cmd := exec.Command(bash, "-c", "source scripts/lib.sh\n"+script)
	cmd.Dir = root
	cmd.Env = append([]string{"PATH=" + bin, "POSTGRES_LIB=" + filepath.Join(bin, "none")}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func calls(bin string) string {
	b, _ := os.ReadFile(filepath.Join(bin, "calls"))
	return string(b)
}

const (
	asRoot = "[ \"$1\" = -u ] && echo 0"
	asUser = "[ \"$1\" = -u ] && echo 1000"
	// Nothing answers on 5432 / 6379.
	nothingAnswers = "pg_answers() { return 1; }; redis_answers() { return 1; }\n"
)

func TestFreshDebianAsRootInstallsBoth(t *testing.T) {
	bin := fakeBin(t, map[string]string{"id": asRoot, "apt-get": "exit 0"})
	out, err := runLib(t, bin, nothingAnswers+`mapfile -t need < <(missing_packages); install_packages "${need[@]}"`)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := "apt-get update -qq\napt-get install -y -qq postgresql redis-server\n"
	if got := calls(bin); !strings.HasSuffix(got, want) {
		t.Errorf("calls:\n%s\nwant to end with:\n%s", got, want)
	}
}

func TestNonRootPrintsTheCommand(t *testing.T) {
	bin := fakeBin(t, map[string]string{"id": asUser, "apt-get": "exit 0"})
	out, err := runLib(t, bin, `install_packages postgresql redis-server`)
	if err == nil {
		t.Fatal("install_packages succeeded without root")
	}
	if !strings.Contains(out, "sudo apt-get install -y postgresql redis-server") {
		t.Errorf("output %q lacks the command to run", out)
	}
	if strings.Contains(calls(bin), "apt-get") {
		t.Errorf("apt-get was run: %s", calls(bin))
	}
}

func TestUpInstallZeroNeverInstalls(t *testing.T) {
	bin := fakeBin(t, map[string]string{"id": asRoot, "apt-get": "exit 0"})
	if _, err := runLib(t, bin, `install_packages redis-server`, "UP_INSTALL=0"); err == nil {
		t.Fatal("installed with UP_INSTALL=0")
	}
	if strings.Contains(calls(bin), "apt-get") {
		t.Errorf("apt-get was run: %s", calls(bin))
	}
}

func TestFailedAptGetFails(t *testing.T) {
	bin := fakeBin(t, map[string]string{"id": asRoot, "apt-get": `[ "$1" = update ] || exit 100`})
	out, err := runLib(t, bin, `install_packages postgresql`)
	if err == nil || !strings.Contains(out, "apt-get install postgresql failed") {
		t.Fatalf("err %v, output %q", err, out)
	}
}

func TestOtherPackageManagersGetTheirCommand(t *testing.T) {
	for _, c := range []struct{ mgr, want string }{
		{"dnf", "sudo dnf install -y postgresql-server redis && sudo postgresql-setup --initdb"},
		{"brew", "brew install postgresql@16 redis"},
		{"pacman", "sudo pacman -S --noconfirm postgresql redis"},
	} {
		bin := fakeBin(t, map[string]string{"id": asUser, c.mgr: "exit 0"})
		out, err := runLib(t, bin, `install_packages postgresql redis-server`)
		if err == nil || !strings.Contains(out, c.want) {
			t.Errorf("%s: err %v, output %q, want %q", c.mgr, err, out, c.want)
		}
	}
}

func TestOnlyWhatIsMissing(t *testing.T) {
	// Redis is installed, PostgreSQL answers on 5432: nothing to install.
	bin := fakeBin(t, map[string]string{"id": asRoot, "redis-server": "exit 0"})
	out, err := runLib(t, bin, "pg_answers() { return 0; }; redis_answers() { return 1; }\nmissing_packages")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("missing %q (%v), want nothing", out, err)
	}
	// UP_SERVICES=private needs local binaries even if 5432 answers.
	out, _ = runLib(t, bin, "pg_answers() { return 0; }; redis_answers() { return 0; }\nmissing_packages", "UP_SERVICES=private")
	if strings.TrimSpace(out) != "postgresql" {
		t.Errorf("private: missing %q, want postgresql", out)
	}
	// pg_ctl on PATH (not Debian's layout) counts as installed; URLs set need nothing.
	bin = fakeBin(t, map[string]string{"id": asRoot, "pg_ctl": "exit 0"})
	out, _ = runLib(t, bin, nothingAnswers+"missing_packages; postgres_bindir", "REDIS_URL=redis://x:6379/0")
	if strings.TrimSpace(out) != bin {
		t.Errorf("got %q, want only the bindir %s", out, bin)
	}
}
