// rooms.js: per-room state of a ChatClient: which rooms are joined, the
// newest seq delivered, messages held back until the ones before them
// arrive, gap filling over REST, and read receipts.
//
// Invariant: `message` events of a room are emitted in seq order, each seq
// once, with no gap: a message above lastSeq + 1 waits in `held` until the
// messages between have come (live, replayed, or paged over REST).

export class Rooms {
  constructor(client) {
    this.c = client;
    this.map = new Map(); // roomId -> state
  }

  get(roomId) {
    let r = this.map.get(roomId);
    if (!r) {
      r = { id: roomId, wanted: false, joined: false, joining: false, lastSeq: null, held: new Map(), filling: false, waiters: [], readSent: 0, receipts: new Map() };
      this.map.set(roomId, r);
    }
    return r;
  }

  joined(roomId) {
    const r = this.map.get(roomId);
    return !!(r && r.joined);
  }

  /** lastSeq is the newest seq delivered for a room (null before its first join). */
  lastSeq(roomId) {
    const r = this.map.get(roomId);
    return r ? r.lastSeq : null;
  }

  reset() { this.map.clear(); }

  dropped() {
    for (const r of this.map.values()) {
      r.joined = false;
      r.joining = false;
    }
  }

  join(roomId, lastSeq) {
    const r = this.get(roomId);
    r.wanted = true;
    if (Number.isInteger(lastSeq) && (r.lastSeq === null || lastSeq > r.lastSeq)) r.lastSeq = lastSeq;
    const p = new Promise((resolve, reject) => r.waiters.push({ resolve, reject }));
    if (this.c.ready && !r.joining) this.send(r);
    return p;
  }

  async leave(roomId) {
    const r = this.map.get(roomId);
    if (!r) return;
    r.wanted = false;
    this.map.delete(roomId);
    if (this.c.ready && r.joined) await this.c.call('leave-room', { roomId });
  }

  rejoinAll() {
    for (const r of this.map.values()) if (r.wanted) this.send(r);
  }

  // send sends join-room with the room's lastSeq, so the gateway replays
  // what this client missed; the ack may say recovered: false, and then the
  // rest is paged over REST.
  async send(r) {
    r.joining = true;
    const data = { roomId: r.id };
    if (r.lastSeq !== null) data.lastSeq = r.lastSeq;
    let ack;
    try {
      ack = await this.c.call('join-room', data);
    } catch (err) {
      r.joining = false;
      if (err.code === 'disconnected') return; // rejoined after the reconnect
      r.wanted = false;
      for (const w of r.waiters.splice(0)) w.reject(err);
      this.c.emit('error', err);
      return;
    }
    if (this.map.get(r.id) !== r) return; // left meanwhile
    r.joining = false;
    r.joined = true;
    if (r.lastSeq === null) r.lastSeq = ack.lastSeq;
    this.drain(r);
    const info = { roomId: r.id, lastSeq: ack.lastSeq, recovered: ack.recovered !== false };
    this.c.emit('joined', info);
    for (const w of r.waiters.splice(0)) w.resolve(info);
    if (r.held.size || ack.recovered === false || r.lastSeq < ack.lastSeq) this.fill(r);
    this.c.flushRoom(r.id);
  }

  /** ingest takes a message from the socket or from REST. */
  ingest(m) {
    const r = this.get(m.roomId);
    if (r.lastSeq === null || m.seq > r.lastSeq + 1) {
      if (r.lastSeq === null || m.seq > r.lastSeq) r.held.set(m.seq, m);
      if (r.lastSeq !== null && !r.joining) this.fill(r);
      return;
    }
    if (m.seq <= r.lastSeq) return; // seen already
    this.deliver(r, m);
    this.drain(r);
  }

  deliver(r, m) {
    r.lastSeq = m.seq;
    const own = !!(this.c.user && m.userId === this.c.user.id);
    this.c.emit('message', { ...m, own });
    if (own && m.clientMsgId && this.c.outbox.has(m.clientMsgId)) {
      this.c.settle(m.clientMsgId, { id: m.id, roomId: m.roomId, seq: m.seq, timestamp: m.timestamp });
    }
  }

  drain(r) {
    for (const seq of [...r.held.keys()]) if (seq <= r.lastSeq) r.held.delete(seq);
    while (r.held.has(r.lastSeq + 1)) {
      const m = r.held.get(r.lastSeq + 1);
      r.held.delete(m.seq);
      this.deliver(r, m);
    }
  }

  // fill pages the messages after lastSeq over REST until the held ones
  // connect (or, with nothing held, until the end). One filler per room.
  async fill(r) {
    if (r.filling) return;
    r.filling = true;
    try {
      for (;;) {
        this.drain(r);
        const held = [...r.held.keys()];
        const before = held.length ? Math.min(...held) : undefined;
        const start = r.lastSeq;
        const page = await this.c.history(r.id, { after: r.lastSeq, before, limit: 100 });
        for (const m of page.items) this.ingest(m);
        this.drain(r);
        if (r.lastSeq === start) break; // no progress: nothing more to page
        if (!r.held.size && !page.nextCursor) break;
      }
    } catch (err) {
      this.c.emit('error', err);
    } finally {
      r.filling = false;
    }
  }

  receipt(d) {
    const r = this.get(d.roomId);
    const prev = r.receipts.get(d.userId) || 0;
    if (d.seq > prev) r.receipts.set(d.userId, d.seq);
    this.c.emit('read', { roomId: d.roomId, userId: d.userId, seq: d.seq });
  }

  /** receipts returns userId -> highest seq read, as seen live in a room. */
  receipts(roomId) {
    const r = this.map.get(roomId);
    return r ? new Map(r.receipts) : new Map();
  }

  async markRead(roomId, seq) {
    const r = this.get(roomId);
    if (seq <= r.readSent) return { roomId, seq: r.readSent };
    r.readSent = seq;
    if (this.c.ready && r.joined) {
      try {
        return await this.c.call('mark-read', { roomId, seq });
      } catch (err) {
        if (err.code !== 'disconnected' && err.code !== 'timeout') throw err;
      }
    }
    return this.c.request('POST', `/api/chat/rooms/${encodeURIComponent(roomId)}/read`, { seq });
  }
}
