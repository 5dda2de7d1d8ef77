package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

const (
	corsAllowMethods  = "GET, POST, PUT, PATCH, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, X-Request-ID"
	corsExposeHeaders = "X-Request-ID, Retry-After"
	corsMaxAge        = time.Hour // browsers cap it lower anyway (Chromium: 2h)
)

// CORS lets the listed browser origins call the API. Origins match exactly
// (scheme, host and port, as browsers send them); "*" allows any origin and
// must be listed explicitly. A preflight (OPTIONS with
// Access-Control-Request-Method) from an allowed origin is answered 204, and
// from any other origin 403 problem. A plain request from an origin not
// listed is served without CORS headers, so the browser withholds the answer.
// Credentials are not allowed: the API authenticates with a bearer token,
// never with cookies.
//
// gin-contrib/cors was not used: it answers refused origins with an empty
// 403 instead of a problem, omits Vary: Origin on answers to requests without
// Origin (so a shared cache can serve them to a cross-origin caller), treats
// "/.../" entries as regular expressions, and panics on an empty list.
func CORS(origins []string) gin.HandlerFunc {
	allowAll := slices.Contains(origins, "*")
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))] = true
	}
	maxAge := strconv.Itoa(int(corsMaxAge.Seconds()))

	return func(c *gin.Context) {
		h := c.Writer.Header()
		if !allowAll {
			// The answer depends on Origin: caches must key on it. Direct
			// map access here and below (canonical names): no
			// canonicalization per request.
			h["Vary"] = append(h["Vary"], "Origin")
		}
		var origin string
		if v := c.Request.Header["Origin"]; len(v) > 0 {
			origin = v[0]
		}
		if origin == "" {
			return
		}
		preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
		if !allowAll && !allowed[strings.ToLower(origin)] {
			if preflight {
				WriteProblem(c, http.StatusForbidden, "origin "+strconv.Quote(origin)+" is not allowed")
			}
			return
		}

		if allowAll {
			h.Set("Access-Control-Allow-Origin", "*")
		} else {
			h.Set("Access-Control-Allow-Origin", origin)
		}
		if !preflight {
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			return
		}
		h.Set("Access-Control-Allow-Methods", corsAllowMethods)
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", maxAge)
		c.AbortWithStatus(http.StatusNoContent)
	}
}
