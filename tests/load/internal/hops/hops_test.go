package hops

import (
	"math"
	"strings"
	"testing"
)

const page = `# HELP chat_send_batch_seconds x
chat_send_batch_seconds_bucket{le="0.001"} 10
chat_send_batch_seconds_bucket{le="0.01"} 90
chat_send_batch_seconds_bucket{le="+Inf"} 100
chat_send_batch_seconds_sum 1
chat_send_batch_seconds_count 100
chat_command_wait_seconds_bucket{type="send-message",le="0.001"} 4
chat_command_wait_seconds_bucket{type="send-message",le="+Inf"} 4
chat_command_wait_seconds_bucket{type="join-room",le="0.001"} 1
chat_command_wait_seconds_bucket{type="join-room",le="+Inf"} 2
http_request_duration_seconds_bucket{le="0.001"} 7
`

func TestReadAndQuantiles(t *testing.T) {
	before, after := Snapshot{}, Snapshot{}
	if err := after.add(strings.NewReader(page)); err != nil {
		t.Fatal(err)
	}
	if err := before.add(strings.NewReader(`chat_send_batch_seconds_bucket{le="0.001"} 10
chat_send_batch_seconds_bucket{le="0.01"} 10
chat_send_batch_seconds_bucket{le="+Inf"} 20
`)); err != nil {
		t.Fatal(err)
	}
	if _, ok := after["http_request_duration_seconds"]; ok {
		t.Error("a metric outside the path was read")
	}
	if n := after["chat_command_wait_seconds"].Count(); n != 6 {
		t.Errorf("command wait count = %v, want 6 (summed over labels)", n)
	}
	d := after.Since(before)
	h := d["chat_send_batch_seconds"]
	// 80 observations: 0 <= 1 ms, 80 in (1 ms, 10 ms], 0 above.
	if h.Count() != 80 {
		t.Fatalf("count since = %v, want 80", h.Count())
	}
	if p50 := h.Quantile(0.5); math.Abs(p50-0.0055) > 1e-9 {
		t.Errorf("p50 = %v, want 5.5 ms (middle of the bucket)", p50)
	}
	if !math.IsNaN((&Histogram{}).Quantile(0.5)) {
		t.Error("quantile of nothing is not NaN")
	}
	md := d.Markdown()
	if !strings.Contains(md, "| send batch stored (to commit) | `chat_send_batch_seconds` | 80 | 5.50 ms |") {
		t.Errorf("markdown:\n%s", md)
	}
}
