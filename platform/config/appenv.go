package config

import "fmt"

// Env is the deployment environment, read from APP_ENV. It changes safety
// defaults (e.g. generated development keys are refused in production), so
// Parse rejects any value but the three below. Declare it in an app config
// as `Env config.Env `env:"APP_ENV" envDefault:"..."“.
type Env string

// The accepted APP_ENV values.
const (
	EnvDevelopment Env = "development"
	EnvTest        Env = "test"
	EnvProduction  Env = "production"
)

// Validate rejects values other than development, test and production.
func (e Env) Validate() error {
	switch e {
	case EnvDevelopment, EnvTest, EnvProduction:
		return nil
	}
	return fmt.Errorf("APP_ENV: must be one of development, test, production (got %q)", string(e))
}

// IsProduction reports whether e is EnvProduction.
func (e Env) IsProduction() bool { return e == EnvProduction }
