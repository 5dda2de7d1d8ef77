package main

import (
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// The dashboard's connection follows the queues' client: a cluster's seed
// nodes, or one server's address and database.
func TestRedisConnOpt(t *testing.T) {
	t.Parallel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"10.0.0.1:6379", "10.0.0.2:6379"}, Password: "pw"})
	defer cc.Close()
	if o, ok := redisConnOpt(cc).(asynq.RedisClusterClientOpt); !ok || len(o.Addrs) != 2 || o.Password != "pw" {
		t.Errorf("cluster: %#v", redisConnOpt(cc))
	}
	c := redis.NewClient(&redis.Options{Addr: "10.0.0.1:6379", DB: 3})
	defer c.Close()
	if o, ok := redisConnOpt(c).(asynq.RedisClientOpt); !ok || o.Addr != "10.0.0.1:6379" || o.DB != 3 {
		t.Errorf("one server: %#v", redisConnOpt(c))
	}
}
