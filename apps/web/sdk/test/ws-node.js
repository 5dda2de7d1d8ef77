// A minimal WebSocket client (RFC 6455, text frames only) on node:http, for
// the SDK tests on a Node without a global WebSocket (Node < 22 without
// --experimental-websocket). It shows the SDK's `WebSocket` option at work:
// any constructor with the WHATWG shape (onopen, onmessage, onclose, send,
// close) will do.
import http from 'node:http';
import crypto from 'node:crypto';

export class NodeWebSocket {
  constructor(url) {
    const u = new URL(url.replace(/^ws/, 'http'));
    this.readyState = 0;
    this.buf = Buffer.alloc(0);
    this.parts = [];
    const req = http.request({
      hostname: u.hostname, port: u.port, path: u.pathname + u.search,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': crypto.randomBytes(16).toString('base64'),
      },
    });
    req.on('upgrade', (res, socket, head) => {
      this.socket = socket;
      this.readyState = 1;
      socket.on('data', (d) => this.data(d));
      socket.on('close', () => this.closed(1006, ''));
      socket.on('error', () => {});
      if (this.onopen) this.onopen({});
      this.data(head);
    });
    req.on('response', (res) => { res.resume(); this.fail(); });
    req.on('error', () => this.fail());
    req.end();
  }

  fail() {
    if (this.onerror) this.onerror({});
    this.closed(1006, '');
  }

  closed(code, reason) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    clearTimeout(this.closeTimer);
    if (this.socket) this.socket.destroy();
    if (this.onclose) this.onclose({ code, reason });
  }

  data(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const op = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return; // server frames are not masked
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (op === 1 || op === 0) {
        this.parts.push(payload);
        if (fin) {
          const text = Buffer.concat(this.parts).toString('utf8');
          this.parts = [];
          if (this.onmessage) this.onmessage({ data: text });
        }
      } else if (op === 8) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        if (this.readyState === 1) this.frame(8, payload.subarray(0, 2));
        this.closed(code, payload.subarray(2).toString('utf8'));
        return;
      } else if (op === 9) {
        this.frame(10, payload);
      }
    }
  }

  frame(op, payload) {
    const mask = crypto.randomBytes(4);
    const n = payload.length;
    const head = n < 126 ? Buffer.from([0x80 | op, 0x80 | n])
      : Buffer.concat([Buffer.from([0x80 | op, 0x80 | 126]), Buffer.from([n >> 8, n & 255])]);
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  send(text) {
    if (this.readyState !== 1) throw new Error('WebSocket is not open');
    const b = Buffer.from(text, 'utf8');
    if (b.length > 65535) throw new Error('frame too large for this test client');
    this.frame(1, b);
  }

  close(code = 1000, reason = '') {
    if (this.readyState !== 1) return;
    this.readyState = 2;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code);
    this.frame(8, Buffer.concat([p, Buffer.from(reason)]));
    this.closeTimer = setTimeout(() => this.closed(code, reason), 1000);
  }
}
