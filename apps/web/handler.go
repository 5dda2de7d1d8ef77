package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatforge/chat/platform/health"
	"github.com/chatforge/chat/platform/metrics"
	"github.com/chatforge/chat/platform/web"
)

// files are the app and the SDK (not the SDK's tests).
//
//go:embed static sdk/*.js sdk/*.d.ts sdk/package.json sdk/README.md
var files embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".md":   "text/markdown; charset=utf-8",
	".ts":   "text/plain; charset=utf-8", // index.d.ts: not a video (.ts)
	".png":  "image/png",
	".svg":  "image/svg+xml",
}

// loadAssets maps URL paths to files: static/x is served at /x, sdk/x at
// /sdk/x.
func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		urlPath := "/" + strings.TrimPrefix(p, "static/")
		out[urlPath] = asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	return out, err
}

// newHandler serves the app. Every path without an extension that is not
// an asset is the app's index.html (its routes: /, /verify-email,
// /reset-password), so links in e-mails open the app.
func newHandler(cfg Config, log *slog.Logger, reg *prometheus.Registry) (http.Handler, error) {
	assets, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("embedded files: %w", err)
	}
	index, ok := assets["/index.html"]
	if !ok {
		return nil, fmt.Errorf("embedded files: static/index.html missing")
	}
	appConfig, err := json.Marshal(map[string]string{"apiUrl": cfg.APIURL, "gatewayUrl": cfg.GatewayURL})
	if err != nil {
		return nil, err
	}
	assets["/config.json"] = asset{body: appConfig, contentType: "application/json", etag: `"cfg"`}
	csp := contentSecurityPolicy(cfg)

	e := gin.New()
	e.HandleMethodNotAllowed = true
	_ = e.SetTrustedProxies(nil)
	e.Use(web.RequestID(), metrics.NewHTTP(reg).Middleware(), web.AccessLog(log), web.Recovery(log))
	health.Register(e, log) // no dependencies: ready as soon as it serves
	e.GET("/metrics", gin.WrapH(metrics.Handler(reg)))
	serve := func(c *gin.Context) {
		p := c.Request.URL.Path
		a, ok := assets[p]
		if !ok && !strings.Contains(path.Base(p), ".") {
			a, ok = index, true
		}
		if !ok || (c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead) {
			web.NoRoute(c)
			return
		}
		h := c.Writer.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache") // revalidate: ETags make it cheap
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // e-mail tokens ride in the URL
		http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(a.body))
	}
	e.NoRoute(serve)
	return e, nil
}

// contentSecurityPolicy allows scripts and styles from this origin only and
// connections to the api and the gateway: even if user text reached the
// DOM as HTML, no inline script or handler would run.
func contentSecurityPolicy(cfg Config) string {
	connect := []string{"'self'", origin(cfg.APIURL), origin(cfg.GatewayURL)}
	if g, err := url.Parse(cfg.GatewayURL); err == nil {
		g.Scheme = map[string]string{"http": "ws", "https": "wss"}[g.Scheme]
		connect = append(connect, origin(g.String()))
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src " + strings.Join(connect, " ") + "; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
