package database

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"
)

// RegisterPoolMetrics exports db's connection pool statistics (sql.DBStats)
// to reg, read at scrape time: go_sql_open_connections, go_sql_in_use_connections,
// go_sql_idle_connections, go_sql_wait_count_total,
// go_sql_wait_duration_seconds_total and the close counters, labelled
// db_name="postgres". It panics like prometheus.MustRegister when called
// twice on one registry or with a gorm.DB not backed by a *sql.DB (a
// transaction): both are wiring mistakes, found at start-up.
func RegisterPoolMetrics(reg prometheus.Registerer, db *gorm.DB) {
	sqlDB, err := db.DB()
	if err != nil {
		panic(fmt.Sprintf("database: pool metrics: %v", err))
	}
	reg.MustRegister(collectors.NewDBStatsCollector(sqlDB, "postgres"))
}
