// Package health serves the liveness (/healthz) and readiness (/readyz)
// endpoints every binary exposes.
//
// Liveness says only that the process serves HTTP; readiness runs the
// dependency checks, so a load balancer stops routing to an instance that
// cannot reach PostgreSQL or Redis without the orchestrator restarting it.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// CheckTimeout bounds each readiness probe: a hung dependency must not hang
// the probe request, whose caller has its own, usually short, timeout.
const CheckTimeout = 2 * time.Second

// Check is one readiness probe. Probe returns nil when the dependency is
// usable; it should honour ctx's deadline.
type Check struct {
	Name  string
	Probe func(ctx context.Context) error
}

// Register mounts GET /healthz, which always answers 200 {"status":"ok"}, and
// GET /readyz, which runs every check concurrently and answers
// 200 {"status":"ok","checks":{name:"ok"}} when all pass, or
// 503 {"status":"unavailable","checks":{name:"ok"|"down"}} otherwise.
//
// The answer names the failing checks only: their errors can name hosts,
// users and databases, and /readyz is reachable by anyone who can reach the
// port. The errors go to log (warn), with the check's name.
func Register(r gin.IRoutes, log *slog.Logger, checks ...Check) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/readyz", func(c *gin.Context) {
		results := run(c.Request.Context(), checks)
		status, code := "ok", http.StatusOK
		body := make(map[string]string, len(checks))
		for i, ch := range checks {
			if err := results[i]; err != nil {
				status, code = "unavailable", http.StatusServiceUnavailable
				body[ch.Name] = "down"
				log.WarnContext(c.Request.Context(), "readiness check failed", "check", ch.Name, "err", err)
				continue
			}
			body[ch.Name] = "ok"
		}
		c.JSON(code, gin.H{"status": status, "checks": body})
	})
}

type result struct {
	i   int
	err error
}

// errTimeout reports a probe that ignored its context and was still running
// at the deadline; its goroutine is left to finish on its own.
var errTimeout = errors.New("timed out")

// run probes every check concurrently and returns their errors in order. It
// returns within CheckTimeout (plus scheduling slack) even if a probe ignores
// its context.
func run(ctx context.Context, checks []Check) []error {
	errs := make([]error, len(checks))
	if len(checks) == 0 {
		return errs
	}
	ctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()

	// Buffered so late probes never block after run has returned.
	done := make(chan result, len(checks))
	for i, ch := range checks {
		go func() {
			defer func() {
				// A panicking probe must not take the process down: the
				// gin recovery middleware does not cover this goroutine.
				if p := recover(); p != nil {
					done <- result{i, fmt.Errorf("panic: %v", p)}
				}
			}()
			done <- result{i, ch.Probe(ctx)}
		}()
	}

	pending := make(map[int]bool, len(checks))
	for i := range checks {
		pending[i] = true
	}
	for len(pending) > 0 {
		select {
		case r := <-done:
			errs[r.i] = r.err
			delete(pending, r.i)
		case <-ctx.Done():
			for i := range pending {
				errs[i] = errTimeout
			}
			return errs
		}
	}
	return errs
}
