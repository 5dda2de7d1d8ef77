// Package deployments holds no code: its tests check the deployment files
// beside it (compose file) against the binaries' configuration. The Helm
// chart has its own checks in helm/check, the dashboard and alert rules in
// tests/e2e (they scrape the real binaries).
package deployments
