// A line-based driver of the real socket.io-client for socketio_test.go:
// commands come as JSON lines on stdin, everything the sockets see goes
// out as JSON lines on stdout. The Go test holds the scenario's logic.
//
//   {"op":"connect","id":"a","url":"http://...","opts":{...}}
//   {"op":"emit","id":"a","event":"join-room","data":{...},"tag":"j1"}  (tag: with ack)
//   {"op":"emitBinary","id":"a","event":"send-message","tag":"b1"}  (a Buffer argument, with ack)
//   {"op":"close","id":"a"}
import { io } from "socket.io-client";
import readline from "node:readline";

const sockets = new Map();
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

function connect(c) {
  const s = io(c.url, { reconnectionDelay: 100, reconnectionDelayMax: 500, ...c.opts });
  sockets.set(c.id, s);
  const id = c.id;
  // The transport is the one the engine opened with, and the upgrade is
  // watched from the open: on a busy machine the upgrade can finish before
  // the CONNECT's answer arrives, and read at "connect" it would be missed.
  let opened = "";
  s.io.on("open", () => {
    const engine = s.io.engine;
    opened = engine.transport.name;
    engine.once("upgrade", (tr) => out({ id, type: "upgrade", transport: tr.name }));
  });
  s.on("connect", () => out({ id, type: "connect", transport: opened, sid: s.io.engine.id }));
  s.on("connect_error", (err) => out({ id, type: "connect_error", message: err.message, data: err.data ?? null }));
  s.on("disconnect", (reason) => out({ id, type: "disconnect", reason }));
  s.onAny((event, ...args) => out({ id, type: "event", event, data: args[0] ?? null }));
}

function handle(c) {
  const s = sockets.get(c.id);
  switch (c.op) {
    case "connect":
      connect(c);
      break;
    case "emit":
      if (c.tag) {
        s.timeout(10000).emit(c.event, c.data, (err, res) =>
          out({ id: c.id, type: "ack", tag: c.tag, timeout: err ? String(err.message) : null, data: res ?? null }));
      } else {
        s.emit(c.event, c.data);
      }
      break;
    case "emitBinary":
      s.timeout(10000).emit(c.event, { blob: Buffer.from("binary") }, (err, res) =>
        out({ id: c.id, type: "ack", tag: c.tag, timeout: err ? String(err.message) : null, data: res ?? null }));
      break;
    case "close":
      s.disconnect();
      break;
    default:
      out({ type: "driver_error", message: "unknown op " + c.op });
  }
}

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  try {
    handle(JSON.parse(line));
  } catch (e) {
    out({ type: "driver_error", message: String(e && e.stack) });
  }
});
process.stdin.on("end", () => {
  for (const s of sockets.values()) s.disconnect();
  process.exit(0);
});
