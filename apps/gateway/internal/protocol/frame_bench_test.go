package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

// Frame encoding: each server frame is built once per event and shared by
// every receiving socket, or once per answer.

var benchSink []byte

func BenchmarkEncodeReceiveMessage(b *testing.B) {
	msg := []byte(`{"id":"5f0c2a1e-7b3d-4c2e-9a8f-1b2c3d4e5f60","roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","seq":1742,"userId":"1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e","content":"hello there, how is it going?","clientMsgId":"c-1742","timestamp":"2026-11-26T20:40:00.123Z"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		benchSink = ReceiveMessage(msg)
	}
}

func BenchmarkEncodeAck(b *testing.B) {
	ref := json.RawMessage(`"s1742:1764189600123456789"`)
	data := []byte(`{"id":"5f0c2a1e-7b3d-4c2e-9a8f-1b2c3d4e5f60","roomId":"0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d","seq":1742,"timestamp":"2026-11-26T20:40:00.123Z"}`)
	b.ReportAllocs()
	for b.Loop() {
		benchSink = Ack(ref, data)
	}
}

func BenchmarkEncodeReady(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchSink = Ready("1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e", "2d8c3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "3e9d4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f60")
	}
}

func BenchmarkEncodePresence(b *testing.B) {
	seen := time.Date(2026, 11, 26, 20, 40, 0, 123e6, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		benchSink = Presence("1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e", false, seen)
	}
}

func BenchmarkEncodeTyping(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		benchSink = TypingFrame(EventTypingStart, "1c7b2d3f-4e5a-4b6c-9d8e-0f1a2b3c4d5e", "0b6a1c2e-3d4f-4a5b-8c7d-9e0f1a2b3c4d")
	}
}

func BenchmarkEncodeError(b *testing.B) {
	ref := json.RawMessage(`"17"`)
	e := NewError(CodeForbidden, "join-room first")
	b.ReportAllocs()
	for b.Loop() {
		benchSink = ErrorFrame(ref, e)
	}
}
