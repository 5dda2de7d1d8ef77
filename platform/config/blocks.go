package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// Postgres is the PostgreSQL connection block shared by the binaries that use
// the database. The pool defaults suit one api instance on a small machine;
// tune them so that instances × DB_MAX_OPEN_CONNS stays under the server's
// max_connections. DB_MAX_IDLE_CONNS defaults to DB_MAX_OPEN_CONNS' default:
// with fewer idle slots than open connections, every burst above the idle
// count closes connections on return and opens new ones the next instant
// (a PostgreSQL backend fork each); lower both together.
type Postgres struct {
	URL             string        `env:"DATABASE_URL,required"`
	MaxOpenConns    int           `env:"DB_MAX_OPEN_CONNS" envDefault:"20"`
	MaxIdleConns    int           `env:"DB_MAX_IDLE_CONNS" envDefault:"20"`
	ConnMaxLifetime time.Duration `env:"DB_CONN_MAX_LIFETIME" envDefault:"30m"`
	ConnMaxIdleTime time.Duration `env:"DB_CONN_MAX_IDLE_TIME" envDefault:"5m"`
	// StatementTimeout is the statement_timeout of every connection: the
	// server cancels a statement (lock waits included) running longer, so
	// a runaway query cannot hold a connection and its locks for good.
	// 0 sets none (the server's or role's default applies).
	StatementTimeout time.Duration `env:"DB_STATEMENT_TIMEOUT" envDefault:"10s"`
}

// Validate checks the URL scheme and the pool bounds.
func (p Postgres) Validate() error {
	var errs []error
	if err := checkURL("DATABASE_URL", p.URL, "postgres", "postgresql"); err != nil {
		errs = append(errs, err)
	}
	if p.MaxOpenConns < 1 {
		errs = append(errs, errors.New("DB_MAX_OPEN_CONNS: must be at least 1"))
	}
	if p.MaxIdleConns < 0 || p.MaxIdleConns > p.MaxOpenConns {
		errs = append(errs, errors.New("DB_MAX_IDLE_CONNS: must be between 0 and DB_MAX_OPEN_CONNS"))
	}
	if p.ConnMaxLifetime < 0 {
		errs = append(errs, errors.New("DB_CONN_MAX_LIFETIME: must not be negative"))
	}
	if p.ConnMaxIdleTime < 0 {
		errs = append(errs, errors.New("DB_CONN_MAX_IDLE_TIME: must not be negative"))
	}
	if p.StatementTimeout < 0 {
		errs = append(errs, errors.New("DB_STATEMENT_TIMEOUT: must not be negative (0 = none)"))
	}
	return errors.Join(errs...)
}

// Redis is the Redis connection block shared by every binary: one server
// (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_ADDRS, which takes
// precedence). With a cluster, REDIS_URL may still be set: its user,
// password and scheme (rediss:// for TLS) then apply to every node, and its
// host and database are ignored (a cluster has database 0 only).
type Redis struct {
	URL          string   `env:"REDIS_URL"`
	ClusterAddrs []string `env:"REDIS_CLUSTER_ADDRS"`            // seed nodes host:port, comma-separated
	PoolSize     int      `env:"REDIS_POOL_SIZE" envDefault:"0"` // 0 = go-redis default (10 per CPU; per node in a cluster)
}

// Cluster reports whether the block names a Redis Cluster.
func (r Redis) Cluster() bool { return len(r.ClusterAddrs) > 0 }

// Validate checks that a server or a cluster is named, the URL scheme
// (those go-redis ParseURL accepts), the seed addresses and the pool size.
func (r Redis) Validate() error {
	var errs []error
	switch {
	case r.Cluster():
		for _, a := range r.ClusterAddrs {
			if host, port, err := net.SplitHostPort(strings.TrimSpace(a)); err != nil || host == "" || port == "" {
				errs = append(errs, errors.New("REDIS_CLUSTER_ADDRS: every entry must be host:port"))
				break
			}
		}
		if r.URL != "" {
			if err := checkURL("REDIS_URL", r.URL, "redis", "rediss"); err != nil {
				errs = append(errs, err)
			}
		}
	case r.URL == "":
		errs = append(errs, errors.New("REDIS_URL: required but not set (or set REDIS_CLUSTER_ADDRS)"))
	default:
		if err := checkURL("REDIS_URL", r.URL, "redis", "rediss", "unix"); err != nil {
			errs = append(errs, err)
		}
	}
	if r.PoolSize < 0 {
		errs = append(errs, errors.New("REDIS_POOL_SIZE: must not be negative (0 = driver default)"))
	}
	return errors.Join(errs...)
}

// checkURL reports whether raw is a URL with one of the given schemes. Its
// message never quotes raw, which may hold a password.
func checkURL(key, raw string, schemes ...string) error {
	if raw == "" {
		return errors.New(key + ": must not be empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New(key + ": is not a valid URL")
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return nil
		}
	}
	want := ""
	for i, s := range schemes {
		if i > 0 {
			want += ", "
		}
		want += s + "://"
	}
	return errors.New(key + ": scheme must be one of " + want)
}
