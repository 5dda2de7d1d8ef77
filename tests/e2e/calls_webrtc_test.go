package e2e

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// rtcDevice drives a device's socket for a WebRTC peer: one reader splits
// the frames into answers (by ref) and call events, so no frame is lost
// while the peer waits for an answer.
type rtcDevice struct {
	d      *device
	acks   chan wsFrame // ack/error frames with a ref
	events chan wsFrame // call-* events
}

func newRTCDevice(d *device) *rtcDevice {
	r := &rtcDevice{d: d, acks: make(chan wsFrame, 64), events: make(chan wsFrame, 256)}
	go func() {
		for f := range d.ws.frames {
			switch {
			case (f.Event == "ack" || f.Event == "error") && len(f.Ref) > 0:
				r.acks <- f
			case f.Event == "error":
				r.events <- f // an unanswerable error: fail the peer
			case len(f.Event) > 5 && f.Event[:5] == "call-":
				r.events <- f
			}
		}
		close(r.events)
	}()
	return r
}

// request sends event with a fresh ref and waits for its ack.
func (r *rtcDevice) request(t *testing.T, event string, data any) error {
	ref := uuid.NewString()
	r.d.ws.send(event, ref, data)
	for {
		select {
		case f := <-r.acks:
			if string(f.Ref) != `"`+ref+`"` {
				continue
			}
			if f.Event != "ack" {
				t.Errorf("%s: %s", event, f)
			}
			return nil
		case <-time.After(10 * time.Second):
			t.Errorf("%s: no answer", event)
			return nil
		}
	}
}

// trickle holds a peer's ICE candidates until its invite or answer is
// acked (the server relays a candidate only for a call it knows this
// device is in), then sends each as call-ice at once.
type trickle struct {
	mu      sync.Mutex
	open    bool
	pending []webrtc.ICECandidateInit
	send    func(webrtc.ICECandidateInit)
}

func (tr *trickle) add(c *webrtc.ICECandidate) {
	if c == nil {
		return // gathering done
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !tr.open {
		tr.pending = append(tr.pending, c.ToJSON())
		return
	}
	tr.send(c.ToJSON())
}

func (tr *trickle) start() {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.open = true
	for _, c := range tr.pending {
		tr.send(c)
	}
	tr.pending = nil
}

// loopbackPeer is a pion PeerConnection with host candidates on the
// loopback interface only (UDP, no mDNS): media-free, machine-local. With
// cfg.ICETransportPolicy relay, it uses only the TURN servers of cfg.
func loopbackPeer(t *testing.T, cfg webrtc.Configuration) *webrtc.PeerConnection {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(cfg)
	if err != nil {
		t.Fatalf("peer connection: %v", err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// iceFrame is the data of call-ice with a pion candidate.
type iceFrame struct {
	CallID    string                  `json:"callId"`
	Candidate webrtc.ICECandidateInit `json:"candidate"`
}

// testCallsWebRTC: two pion peers on two gateways exchange offer, answer
// and trickled ICE candidates only through the signaling, then talk over
// a data channel on loopback.
//
// relay: both peers use only the TURN server, with the credentials of
// GET /api/calls/ice-servers (ICETransportPolicy relay): the data goes
// through coturn.
func testCallsWebRTC(t *testing.T, cs *callsStack, relay bool) {
	a, b := cs.user(t), cs.user(t)
	var cfgA, cfgB webrtc.Configuration
	if relay {
		cfgA, cfgB = relayConfig(t, a), relayConfig(t, b)
	}
	room := a.createRoom("private", b.a.ID).ID
	caller, callee := newRTCDevice(cs.device(t, a, 0)), newRTCDevice(cs.device(t, b, 1))
	id := uuid.NewString()
	sendICE := func(r *rtcDevice) func(webrtc.ICECandidateInit) {
		return func(c webrtc.ICECandidateInit) {
			r.d.ws.send("call-ice", "", map[string]any{"callId": id, "candidate": c})
		}
	}

	// The callee: answers the first incoming call, echoes what it gets.
	calleeGot := make(chan string, 1)
	calleeDone := make(chan struct{})
	go func() {
		defer close(calleeDone)
		pc := loopbackPeer(t, cfgB)
		tr := &trickle{send: sendICE(callee)}
		pc.OnICECandidate(tr.add)
		pc.OnDataChannel(func(dc *webrtc.DataChannel) {
			dc.OnMessage(func(m webrtc.DataChannelMessage) {
				calleeGot <- string(m.Data)
				_ = dc.SendText("pong: " + string(m.Data))
			})
		})
		for f := range callee.events {
			switch f.Event {
			case "call-incoming":
				var in struct{ CallID, SDP string }
				_ = json.Unmarshal(f.Data, &in)
				if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: in.SDP}); err != nil {
					t.Errorf("callee: set offer: %v", err)
					return
				}
				answer, err := pc.CreateAnswer(nil)
				if err == nil {
					err = pc.SetLocalDescription(answer)
				}
				if err != nil {
					t.Errorf("callee: answer: %v", err)
					return
				}
				callee.request(t, "call-answer", map[string]any{"callId": in.CallID, "sdp": answer.SDP})
				tr.start()
			case "call-ice":
				var c iceFrame
				if err := json.Unmarshal(f.Data, &c); err != nil || pc.AddICECandidate(c.Candidate) != nil {
					t.Errorf("callee: candidate %s", f.Data)
				}
			case "call-ended":
				return
			default:
				t.Errorf("callee: unexpected %s", f)
			}
		}
	}()

	// The caller: offers a data channel, sends "ping" once it opens.
	pc := loopbackPeer(t, cfgA)
	callerGot := make(chan string, 1)
	dc, err := pc.CreateDataChannel("chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() { _ = dc.SendText("ping") })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { callerGot <- string(m.Data) })
	tr := &trickle{send: sendICE(caller)}
	pc.OnICECandidate(tr.add)
	offerSDP, err := pc.CreateOffer(nil)
	if err == nil {
		err = pc.SetLocalDescription(offerSDP)
	}
	if err != nil {
		t.Fatalf("caller: offer: %v", err)
	}
	start := time.Now()
	caller.request(t, "call-invite", map[string]any{"callId": id, "roomId": room, "media": "audio", "sdp": offerSDP.SDP})
	tr.start()

	deadline := time.After(30 * time.Second)
	for connected := false; !connected; {
		select {
		case f := <-caller.events:
			switch f.Event {
			case "call-answered":
				var ans struct{ SDP string }
				_ = json.Unmarshal(f.Data, &ans)
				if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
					t.Fatalf("caller: set answer: %v", err)
				}
			case "call-ice":
				var c iceFrame
				if err := json.Unmarshal(f.Data, &c); err != nil {
					t.Fatalf("caller: candidate %s: %v", f.Data, err)
				}
				if err := pc.AddICECandidate(c.Candidate); err != nil {
					t.Fatalf("caller: candidate %s: %v", f.Data, err)
				}
			default:
				t.Fatalf("caller: unexpected %s", f)
			}
		case got := <-callerGot:
			if got != "pong: ping" {
				t.Fatalf("caller got %q over the data channel", got)
			}
			connected = true
		case <-deadline:
			t.Fatalf("no data channel message within 30s (ICE state %s)", pc.ICEConnectionState())
		}
	}
	t.Logf("relay=%v: invite to the first data channel reply: %s (signaling through 2 gateways and the api)", relay, time.Since(start))
	if got := <-calleeGot; got != "ping" {
		t.Fatalf("callee got %q", got)
	}
	// The pair that carried it is on loopback: host candidates, or relayed
	// ones (addresses coturn allocated on 127.0.0.1) in relay mode.
	want := webrtc.ICECandidateTypeHost
	if relay {
		want = webrtc.ICECandidateTypeRelay
	}
	if pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair(); err != nil || pair == nil ||
		pair.Local.Address != "127.0.0.1" || pair.Remote.Address != "127.0.0.1" || pair.Local.Typ != want || pair.Remote.Typ != want {
		t.Fatalf("selected pair %v (%v), want %s candidates on loopback", pair, err, want)
	}
	caller.request(t, "call-hangup", map[string]any{"callId": id})
	select {
	case <-calleeDone:
	case <-time.After(10 * time.Second):
		t.Fatal("callee got no call-ended")
	}
	if m := callEntry(t, a, room, id); m.Call.Status != "completed" || m.Call.DurationMs <= 0 {
		t.Fatalf("entry %+v", *m.Call)
	}
}

// relayConfig is a relay-only configuration with the TURN servers and
// credential the api hands u.
func relayConfig(t *testing.T, u callUser) webrtc.Configuration {
	t.Helper()
	var got struct {
		ICEServers []webrtc.ICEServer `json:"iceServers"`
	}
	u.want(200, &got, "GET", "/api/calls/ice-servers", nil)
	var turnOnly []webrtc.ICEServer
	for _, s := range got.ICEServers {
		if s.Username != "" {
			s.URLs = s.URLs[:1] // UDP
			turnOnly = append(turnOnly, s)
		}
	}
	return webrtc.Configuration{ICEServers: turnOnly, ICETransportPolicy: webrtc.ICETransportPolicyRelay}
}
