// Package app holds the notify module's use cases, one file each, with the
// outgoing ports each one needs declared next to it. It speaks only through
// those ports: SMTP, Web Push, PostgreSQL and Redis live in adapters.
package app
