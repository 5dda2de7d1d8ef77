package tracing

import (
	"context"
	"encoding/hex"

	"go.opentelemetry.io/otel/trace"
)

// The W3C trace context travels between the processes as its traceparent
// header value, "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>", in
// an optional field of each stream entry, outbox row and task payload. The
// tracestate header is not carried: nothing here sets one, and leaving it
// out keeps every carrier one short string.

// traceparentLen is the length of a version 00 traceparent.
const traceparentLen = 55

// Traceparent returns the traceparent of the span in ctx, "" when ctx has
// no valid span context (tracing off, or no span started): then it does
// not allocate.
func Traceparent(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return Format(sc)
}

// Format encodes sc as a version 00 traceparent.
func Format(sc trace.SpanContext) string {
	var b [traceparentLen]byte
	tid, sid := sc.TraceID(), sc.SpanID()
	b[0], b[1], b[2] = '0', '0', '-'
	hex.Encode(b[3:35], tid[:])
	b[35] = '-'
	hex.Encode(b[36:52], sid[:])
	b[52] = '-'
	hex.Encode(b[53:55], []byte{byte(sc.TraceFlags())})
	return string(b[:])
}

// Parse decodes a traceparent into a remote span context. It accepts what
// W3C Trace Context level 1 asks a receiver to accept: version 00 exactly
// 55 characters long, a later version (not ff) with possibly more fields
// after the flags; lowercase hex, non-zero ids.
func Parse(s string) (trace.SpanContext, bool) {
	if len(s) < traceparentLen || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return trace.SpanContext{}, false
	}
	var ver [1]byte
	if !lowerHex(s[0:2]) || hexDecode(ver[:], s[0:2]) != nil || ver[0] == 0xff {
		return trace.SpanContext{}, false
	}
	if (ver[0] == 0 && len(s) != traceparentLen) || (len(s) > traceparentLen && s[traceparentLen] != '-') {
		return trace.SpanContext{}, false
	}
	var (
		tid   trace.TraceID
		sid   trace.SpanID
		flags [1]byte
	)
	if !lowerHex(s[3:35]) || !lowerHex(s[36:52]) || !lowerHex(s[53:55]) ||
		hexDecode(tid[:], s[3:35]) != nil || hexDecode(sid[:], s[36:52]) != nil || hexDecode(flags[:], s[53:55]) != nil {
		return trace.SpanContext{}, false
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.TraceFlags(flags[0]) & trace.FlagsSampled, Remote: true,
	})
	return sc, sc.IsValid()
}

func hexDecode(dst []byte, s string) error {
	_, err := hex.Decode(dst, []byte(s))
	return err
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
