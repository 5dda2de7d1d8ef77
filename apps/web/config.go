package main

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/chatforge/chat/platform/config"
)

// Config is the web binary's configuration, read from the environment
// (documented in .env.example).
type Config struct {
	config.Runtime `envPrefix:""`

	Addr string `env:"WEB_ADDR" envDefault:":8083"`
	// APIURL and GatewayURL are the public base URLs the browser uses; they
	// are handed to the app in /config.json and allowed by its CSP.
	APIURL          string        `env:"WEB_API_URL" envDefault:"http://localhost:8080"`
	GatewayURL      string        `env:"WEB_GATEWAY_URL" envDefault:"http://localhost:8081"`
	ShutdownTimeout time.Duration `env:"HTTP_SHUTDOWN_TIMEOUT" envDefault:"15s"`
}

// Validate checks the address and that both URLs are absolute http(s) URLs
// without a path (https in production).
func (c Config) Validate() error {
	var errs []error
	if err := config.CheckAddr("WEB_ADDR", c.Addr); err != nil {
		errs = append(errs, err)
	}
	for _, v := range []struct{ name, val string }{{"WEB_API_URL", c.APIURL}, {"WEB_GATEWAY_URL", c.GatewayURL}} {
		if err := checkBase(v.val, c.Env.IsProduction()); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v (got %q)", v.name, err, v.val))
		}
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("HTTP_SHUTDOWN_TIMEOUT: must be positive"))
	}
	return errors.Join(errs...)
}

func checkBase(raw string, production bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("want an absolute http(s) URL such as http://localhost:8080")
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return fmt.Errorf("want a base URL without path or query")
	}
	if production && u.Scheme != "https" {
		return fmt.Errorf("must use https in production")
	}
	return nil
}
