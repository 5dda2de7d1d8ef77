// Command worker runs chatforge's background jobs: an asynq server over the
// queues "critical" (account e-mails), "default" (push notifications) and
// "low" (housekeeping), the push fan-out over the message event streams,
// and the periodic housekeeping schedule. It serves /healthz, /readyz,
// /metrics and, with admin credentials set, the asynqmon dashboard on
// WORKER_ADDR. Any number of instances share the queues.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
}
