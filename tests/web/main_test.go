// Package web tests the JavaScript SDK and the web app (apps/web) against
// the real binaries: api, gateway, worker, a Mailpit dev inbox and the web
// binary, started as processes by tests/e2e/harness. The SDK's own tests
// run under Node (apps/web/sdk/test); the app is driven in headless
// Chromium over the DevTools protocol (chromedp).
//
// Node and Chromium are found on PATH (CHROMIUM_BIN overrides the browser).
// Without them the tests skip, except under CI=true, where .ci/run installs
// them and a missing one fails the test.
package web

import (
	"testing"

	"github.com/chatforge/chat/tests/e2e/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }
