package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is one headless Chromium; each user gets an isolated browser
// context in it (own cookies and storage, like a separate profile).
type browser struct {
	ctx       context.Context
	shots     string // directory of screenshots
	chromium  string
	cancelAll []context.CancelFunc
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	bin := need(t, "chromium", "CHROMIUM_BIN")
	shots := os.Getenv("WEB_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1100, 720),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	b := &browser{ctx: ctx, shots: shots, chromium: bin, cancelAll: []context.CancelFunc{cancelAlloc, cancel}}
	t.Cleanup(func() {
		for i := len(b.cancelAll) - 1; i >= 0; i-- {
			b.cancelAll[i]()
		}
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Logf("screenshots in %s", shots)
	return b
}

// tab is one user's page in its own browser context. It records every
// JavaScript dialog (alert) and uncaught exception.
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	b    *browser

	mu         sync.Mutex
	dialogs    []string
	exceptions []string
}

func (b *browser) newTab(t *testing.T, name string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.cancelAll = append(b.cancelAll, cancel)
	tb := &tab{t: t, name: name, ctx: ctx, b: b}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: new tab: %v", name, err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, e.Message)
			tb.mu.Unlock()
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		case *runtime.EventExceptionThrown:
			tb.mu.Lock()
			tb.exceptions = append(tb.exceptions, exceptionText(e.ExceptionDetails))
			tb.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	return tb
}

// do runs actions with a time limit, failing the test on error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		tb.t.Fatalf("%s: %s: %v", tb.name, what, err)
	}
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: eval %s: %v", tb.name, expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy.
func (tb *tab) waitJS(what, expr string, within time.Duration) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, within+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(within))); err != nil {
		tb.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		tb.t.Fatalf("%s: waiting for %s: %v", tb.name, what, err)
	}
}

// waitText waits until the element's textContent contains want.
func (tb *tab) waitText(sel, want string, within time.Duration) {
	tb.t.Helper()
	tb.waitJS(fmt.Sprintf("%q in %s", want, sel),
		fmt.Sprintf(`(document.querySelector(%q)?.textContent || '').includes(%q)`, sel, want), within)
}

// fill types into a field of a form (clearing it first).
func (tb *tab) fill(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), text))
}

// shot saves a screenshot of the viewport as <dir>/<tab>-<name>.png.
func (tb *tab) shot(name string) string {
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		tb.t.Logf("%s: screenshot %s: %v", tb.name, name, err)
		return ""
	}
	p := filepath.Join(tb.b.shots, tb.name+"-"+name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		tb.t.Logf("write %s: %v", p, err)
	}
	return p
}

// messages returns the texts of the messages shown, in order.
func (tb *tab) messages() []string {
	return eval[[]string](tb, `[...document.querySelectorAll('#messages li.msg:not(.pending) .text')].map(e => e.textContent)`)
}

func (tb *tab) noDialogs() {
	tb.t.Helper()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.dialogs) > 0 {
		tb.t.Errorf("%s: a JavaScript dialog opened: %q (user text ran as code)", tb.name, tb.dialogs)
	}
	if len(tb.exceptions) > 0 {
		tb.t.Errorf("%s: uncaught exceptions: %q", tb.name, tb.exceptions)
	}
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil && d.Exception.Description != "" {
		return d.Exception.Description
	}
	return d.Text
}
