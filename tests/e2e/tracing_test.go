package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/chatforge/chat/tests/e2e/harness"
)

// TestTracingEndToEnd runs an api, two gateways and a worker exporting
// spans (OTLP/HTTP protobuf) to a receiver of the test's own, and follows
// two traces across the processes:
//   - one socket send-message: the sender's gateway (its frame), the api
//     (the command, the transaction), the outbox relay, and the fan-out on
//     the receiving gateway, all one trace, each hop a child of the last;
//   - one registration: the REST request (continuing the caller's
//     traceparent) and the worker's verification e-mail task, one trace;
//     and the api's log lines of that request carry its trace id.
func TestTracingEndToEnd(t *testing.T) {
	rcv := startOTLPReceiver(t)
	otel := func(service string) map[string]string {
		return map[string]string{
			"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.URL,
			"OTEL_SERVICE_NAME":           service,
			"OTEL_BSP_SCHEDULE_DELAY":     "100", // ms: spans arrive while the test waits
		}
	}
	apiOpts := apiEnv()
	for k, v := range otel("api") {
		apiOpts[k] = v
	}
	s := harness.NewStack(t, harness.Options{Env: apiOpts})
	gwSend := startGateway(t, s, "gateway-send", otel("gateway-send"))
	gwRecv := startGateway(t, s, "gateway-recv", otel("gateway-recv"))
	mp := startMailpit(t)
	wEnv := otel("worker")
	wEnv["SMTP_ADDR"] = mp.SMTPAddr
	startWorker(t, s, "worker-trace", wEnv)
	c := s.Client(t)

	t.Run("socket send-message", func(t *testing.T) {
		alice, bob := s.Register(t, c), s.Register(t, c)
		a, b := connect(t, gwSend.WS(), alice.AccessToken), connect(t, gwRecv.WS(), bob.AccessToken)
		a.join(t, globalRoomID, -1)
		b.join(t, globalRoomID, -1)
		sent := a.sendMessage(t, globalRoomID, "traced hello", "trace-1")
		if got := b.collect(t, globalRoomID, 1); got[0].ID != sent.ID {
			t.Fatalf("bob got %s, want %s", got[0].ID, sent.ID)
		}

		var frame, command, publish, fanout span
		rcv.wait(t, "the send-message trace", func(spans []span) bool {
			frame = find(spans, func(s span) bool {
				return s.Service == "gateway-send" && s.Name == "socket send-message"
			})
			if frame.Name == "" {
				return false
			}
			in := func(service, name string) span {
				return find(spans, func(s span) bool {
					return s.Trace == frame.Trace && s.Service == service && s.Name == name
				})
			}
			command = in("api", "command send-message")
			publish = in("api", "chat:events publish")
			fanout = in("gateway-recv", "fanout message.created")
			return command.Name != "" && publish.Name != "" && fanout.Name != ""
		})
		// Each hop is a child of the one before it: the context crossed
		// the command stream, the outbox and the event stream.
		if command.Parent != frame.ID {
			t.Errorf("api command span's parent %s, want the gateway frame span %s", command.Parent, frame.ID)
		}
		if publish.Parent != command.ID {
			t.Errorf("relay publish span's parent %s, want the api command span %s", publish.Parent, command.ID)
		}
		if fanout.Parent != publish.ID {
			t.Errorf("receiving gateway's fan-out span's parent %s, want the relay publish span %s", fanout.Parent, publish.ID)
		}
		if fanout.Attrs["chat.room.id"] != globalRoomID {
			t.Errorf("fan-out span room %q, want %q", fanout.Attrs["chat.room.id"], globalRoomID)
		}
		batch := find(rcv.spans(), func(s span) bool {
			return s.Trace == frame.Trace && s.Service == "api" && s.Name == "messaging send batch"
		})
		if batch.Parent != command.ID {
			t.Errorf("transaction span (parent %q) is not under the command span %s", batch.Parent, command.ID)
		}
	})

	t.Run("registration to e-mail task", func(t *testing.T) {
		const traceID, parentID = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
		email := harness.UniqueEmail("traced")
		res := c.Pin(s.APIs[0]).Do(http.MethodPost, "/api/auth/register", map[string]string{
			"email": email, "password": "pw-traced-1234", "displayName": "Traced",
		}, "", http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}})
		expect(t, res, http.StatusCreated, "register")

		var rest, task span
		rcv.wait(t, "the registration trace", func(spans []span) bool {
			rest = find(spans, func(s span) bool {
				return s.Trace == traceID && s.Service == "api" && s.Name == "POST /api/auth/register"
			})
			task = find(spans, func(s span) bool {
				return s.Trace == traceID && s.Service == "worker" && strings.HasPrefix(s.Name, "task ")
			})
			return rest.Name != "" && task.Name != ""
		})
		if rest.Parent != parentID {
			t.Errorf("REST span's parent %s, want the caller's span %s", rest.Parent, parentID)
		}
		if task.Parent != rest.ID {
			t.Errorf("worker task span %q has parent %s, want the REST span %s", task.Name, task.Parent, rest.ID)
		}
		mp.waitMail(t, email, 20*time.Second) // the task did its work

		// Every api log line of that request (its request id) carries its
		// trace id, and the access log line is one of them.
		reqID := res.Header.Get("X-Request-ID")
		var lines int
		for _, l := range strings.Split(s.APIs[0].Logs(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) != nil || reqID == "" || rec["request_id"] != reqID {
				continue
			}
			lines++
			if rec["trace_id"] != traceID || rec["span_id"] == nil {
				t.Errorf("log line of the traced request has trace_id %v span_id %v, want trace %s: %s",
					rec["trace_id"], rec["span_id"], traceID, l)
			}
		}
		if lines == 0 {
			t.Errorf("no api log line of the registration (request id %q) found", reqID)
		}
	})
}

// span is what the test reads of an exported span.
type span struct {
	Service, Name     string
	Trace, ID, Parent string
	Attrs             map[string]string
}

func find(spans []span, match func(span) bool) span {
	for _, s := range spans {
		if match(s) {
			return s
		}
	}
	return span{}
}

// otlpReceiver is a minimal OTLP/HTTP (protobuf) trace receiver: it
// decodes each export request and keeps its spans.
type otlpReceiver struct {
	URL string
	mu  sync.Mutex
	got []span
}

func startOTLPReceiver(t *testing.T) *otlpReceiver {
	t.Helper()
	r := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" {
			http.Error(w, "not an OTLP trace export", http.StatusNotFound)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		var msg coltracepb.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(raw, &msg)
		}
		if err != nil || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, fmt.Sprintf("bad export (%s): %v", req.Header.Get("Content-Type"), err), http.StatusBadRequest)
			return
		}
		r.add(&msg)
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = io.Copy(w, bytes.NewReader(out))
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *otlpReceiver) add(msg *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range msg.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				r.got = append(r.got, spanOf(service, sp))
			}
		}
	}
}

func spanOf(service string, sp *tracepb.Span) span {
	s := span{Service: service, Name: sp.GetName(), Trace: hex.EncodeToString(sp.GetTraceId()),
		ID: hex.EncodeToString(sp.GetSpanId()), Parent: hex.EncodeToString(sp.GetParentSpanId()), Attrs: map[string]string{}}
	for _, kv := range sp.GetAttributes() {
		s.Attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
	}
	return s
}

func (r *otlpReceiver) spans() []span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]span(nil), r.got...)
}

// wait polls until cond holds for the spans received, or fails listing
// them after 20 s.
func (r *otlpReceiver) wait(t *testing.T, what string, cond func([]span) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond(r.spans()) {
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, s := range r.spans() {
				fmt.Fprintf(&b, "\n  %s %q trace %s span %s parent %s", s.Service, s.Name, s.Trace, s.ID, s.Parent)
			}
			t.Fatalf("%s: not received within 20s; got %d spans:%s", what, len(r.spans()), b.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
