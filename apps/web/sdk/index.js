// chatforge SDK: a client of the chatforge REST API and socket protocol v1.
// No dependencies, no build step: an ES module for browsers and Node >= 20.
// See README.md for the guarantees it gives and the events it emits.
import { Session, ChatError, qs } from './http.js';
import { Rooms } from './rooms.js';

export { ChatError };

/** GLOBAL_ROOM is the room every user is in. */
export const GLOBAL_ROOM = '00000000-0000-0000-0000-000000000001';

// Errors after which a send is given up (the message would never be stored);
// any other failure (unavailable, rate_limited, timeout, a dropped socket)
// keeps it in the outbox to be re-sent with the same clientMsgId.
const FATAL_SEND = new Set(['bad_request', 'forbidden', 'not_found', 'too_large', 'unknown_event', 'internal']);

function uuid() {
  if (globalThis.crypto && globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = (Math.random() * 16) | 0;
    return (c === 'x' ? r : (r & 3) | 8).toString(16);
  });
}

/** SocketError is how a socket `error` frame (or a dropped request) rejects. */
export class SocketError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'SocketError';
    this.code = code;
  }
}

/**
 * ChatClient is one user's connection to chatforge: REST calls with
 * automatic token refresh, and one socket that reconnects, resumes every
 * joined room and re-sends unacknowledged messages.
 */
export class ChatClient {
  constructor(opts = {}) {
    if (!opts.apiUrl) throw new Error('chatforge: apiUrl is required');
    this.opts = {
      refreshMarginMs: 60000,
      minBackoffMs: 500,
      maxBackoffMs: 15000,
      typingIntervalMs: 2000,
      typingIdleMs: 3000,
      requestTimeoutMs: 15000,
      ...opts,
    };
    const gw = (opts.gatewayUrl || opts.apiUrl).replace(/\/+$/, '').replace(/^http/, 'ws');
    this.wsUrl = gw.endsWith('/ws') ? gw : gw + '/ws';
    this.handlers = new Map();
    this.session = new Session({
      apiUrl: opts.apiUrl,
      fetch: opts.fetch,
      refreshMarginMs: this.opts.refreshMarginMs,
      onChange: (t) => this.emit('session', t),
      onExpired: (err) => this.ended(err),
    });
    this.rooms = new Rooms(this);
    this.outbox = new Map(); // clientMsgId -> entry, in send order
    this.calls = new Map(); // ref -> {resolve, reject, timer}
    this.nextRef = 0;
    this.presence = new Map(); // userId -> {status, lastSeen}
    this.typingOut = new Map(); // roomId -> {lastSent, idle}
    this.ws = null;
    this.ready = false;
    this.wantOnline = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.state = 'offline';
  }

  // --- events ---------------------------------------------------------------

  /** on subscribes fn to event and returns a function that unsubscribes it. */
  on(event, fn) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event).add(fn);
    return () => this.off(event, fn);
  }

  off(event, fn) {
    const set = this.handlers.get(event);
    if (set) set.delete(fn);
  }

  emit(event, data) {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try { fn(data); } catch (err) { console.error('chatforge: handler of', event, err); }
    }
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit('state', state);
  }

  // --- accounts -------------------------------------------------------------

  get user() { return this.session.tokens ? this.session.tokens.user : null; }
  get tokens() { return this.session.tokens; }

  register(body) { return this.session.raw('POST', '/api/auth/register', body).then((r) => r.user); }
  verifyEmail(token) { return this.session.raw('POST', '/api/auth/verify-email', { token }); }
  forgotPassword(email) { return this.session.raw('POST', '/api/auth/password/forgot', { email }); }
  resetPassword(token, newPassword) { return this.session.raw('POST', '/api/auth/password/reset', { token, newPassword }); }

  async login(email, password) {
    const res = await this.session.raw('POST', '/api/auth/login', { email, password });
    this.session.set(this.session.fromLogin(res, res.user));
    return res.user;
  }

  /** resume restores a session saved from a `session` event. */
  resume(tokens) {
    if (tokens && tokens.refreshToken) this.session.set(tokens);
  }

  async logout() {
    // Close the socket first: the server closes it anyway (4001), and a
    // 4001 would otherwise make the client try to refresh a dead session.
    this.disconnect();
    try {
      if (this.session.tokens) await this.session.request('POST', '/api/auth/logout');
    } finally {
      this.ended(null);
    }
  }

  // ended forgets everything of the session (logout, or refresh refused).
  ended(err) {
    this.disconnect();
    for (const e of this.outbox.values()) e.reject(new SocketError('logged_out'));
    this.outbox.clear();
    this.rooms.reset();
    if (this.session.tokens) this.session.clear();
    this.emit('logout', err || null);
  }

  /** request calls the REST API with the session's token (refreshed as needed). */
  request(method, path, body) { return this.session.request(method, path, body); }

  profile() { return this.request('GET', '/api/user/profile'); }
  sessions() { return this.request('GET', '/api/user/sessions'); }
  revokeSession(id) { return this.request('DELETE', '/api/user/sessions/' + encodeURIComponent(id)); }
  listRooms(cursor) { return this.request('GET', '/api/chat/rooms' + qs({ cursor, limit: 100 })); }
  publicRooms(q) { return this.request('GET', '/api/chat/rooms/public' + qs({ q, limit: 100 })); }
  room(id) { return this.request('GET', '/api/chat/rooms/' + encodeURIComponent(id)); }
  createRoom(name, kind, memberIds) { return this.request('POST', '/api/chat/rooms', { name, kind, memberIds }); }
  addMember(roomId, userId) { return this.request('POST', `/api/chat/rooms/${encodeURIComponent(roomId)}/members`, { userId }); }
  members(roomId) { return this.request('GET', `/api/chat/rooms/${encodeURIComponent(roomId)}/members` + qs({ limit: 100 })); }
  joinPublic(roomId) { return this.request('POST', `/api/chat/rooms/${encodeURIComponent(roomId)}/join`); }
  leavePublic(roomId) { return this.request('POST', `/api/chat/rooms/${encodeURIComponent(roomId)}/leave`); }
  direct(userId) { return this.request('POST', '/api/chat/direct', { userId }); }
  search(q, roomId, cursor) { return this.request('GET', '/api/chat/search' + qs({ q, roomId, cursor })); }

  /** history pages a room: {before} for older (newest first), {after} for newer (oldest first). */
  history(roomId, { before, after, limit } = {}) {
    return this.request('GET', '/api/chat/messages' + qs({ roomId, before, after, limit }));
  }

  /** allRooms follows the rooms list's cursor to the end. */
  async allRooms() {
    const out = [];
    let cursor;
    do {
      const page = await this.listRooms(cursor);
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  // --- socket ---------------------------------------------------------------

  /** connect opens the socket and keeps it open until disconnect or logout. */
  connect() {
    this.wantOnline = true;
    this.open();
  }

  disconnect() {
    this.wantOnline = false;
    clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (ws) {
      this.dropped();
      try { ws.close(1000); } catch { /* already closed */ }
    }
    this.setState('offline');
  }

  /** reconnectNow skips the back-off wait (e.g. when the browser goes online). */
  reconnectNow() {
    if (!this.wantOnline || this.ws) return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  async open() {
    if (!this.wantOnline || this.ws) return;
    this.setState(this.attempt ? 'reconnecting' : 'connecting');
    const WS = this.opts.WebSocket || globalThis.WebSocket;
    if (!WS) {
      this.emit('error', new Error('chatforge: no WebSocket: pass opts.WebSocket (Node < 22: --experimental-websocket)'));
      return;
    }
    let token;
    try {
      token = await this.session.fresh();
    } catch (err) {
      if (this.session.tokens) this.retry(); // the api is unreachable: try again later
      return;
    }
    if (!this.wantOnline || this.ws) return;
    const ws = new WS(this.wsUrl + '?access_token=' + encodeURIComponent(token));
    this.ws = ws;
    let opened = false;
    // A refused upgrade must count as a failure even where no close event
    // follows the error (some WebSocket implementations), and a silent
    // handshake must not hang the client.
    const fail = () => {
      if (this.ws !== ws || opened) return;
      try { ws.close(); } catch { /* not open */ }
      this.closed(1006, false);
    };
    const handshake = setTimeout(fail, this.opts.requestTimeoutMs);
    ws.onopen = () => { opened = true; clearTimeout(handshake); };
    ws.onmessage = (ev) => { if (this.ws === ws) this.frame(ev.data); };
    ws.onerror = fail;
    ws.onclose = (ev) => {
      clearTimeout(handshake);
      if (this.ws === ws) this.closed(ev.code, opened);
    };
  }

  // dropped forgets the socket and fails the requests in flight on it.
  dropped() {
    this.ws = null;
    this.ready = false;
    this.rooms.dropped();
    for (const [ref, c] of this.calls) {
      clearTimeout(c.timer);
      c.reject(new SocketError('disconnected', 'socket closed'));
      this.calls.delete(ref);
    }
    for (const t of this.typingOut.values()) clearTimeout(t.idle);
    this.typingOut.clear();
  }

  closed(code, opened) {
    this.dropped();
    this.emit('disconnected', { code });
    if (!this.wantOnline) return this.setState('offline');
    if (code === 4001) {
      // Token expired (open() takes a fresh one) or session revoked (the
      // next upgrade is refused and the check below ends the session).
      this.attempt = 1;
      this.open();
      return;
    }
    if (!opened && this.attempt >= 1) {
      // Refused before the upgrade (a 401 looks like any failure in a
      // browser): a REST call refreshes the token, or ends a dead session.
      this.session.request('GET', '/api/user/profile').catch(() => {});
    }
    this.retry();
  }

  // retry schedules the next attempt with exponential back-off and jitter.
  retry() {
    this.attempt++;
    this.setState('reconnecting');
    const base = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** (this.attempt - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  write(event, data, ref) {
    const frame = { event, data };
    if (ref !== undefined) frame.ref = ref;
    this.ws.send(JSON.stringify(frame));
  }

  /** call sends a request frame and resolves with its ack's data. */
  call(event, data) {
    if (!this.ready) return Promise.reject(new SocketError('disconnected', 'socket not ready'));
    const ref = String(++this.nextRef);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(ref);
        reject(new SocketError('timeout', event + ' not answered'));
      }, this.opts.requestTimeoutMs);
      this.calls.set(ref, { resolve, reject, timer });
      this.write(event, data, ref);
    });
  }

  frame(text) {
    let f;
    try { f = JSON.parse(text); } catch { return; }
    const d = f.data || {};
    switch (f.event) {
      case 'ready':
        this.ready = true;
        this.attempt = 0;
        this.setState('online');
        this.emit('ready', d);
        this.rooms.rejoinAll();
        return;
      case 'ack':
      case 'error': {
        const c = this.calls.get(String(f.ref));
        if (!c) {
          if (f.event === 'error') this.emit('error', new SocketError(d.code, d.message));
          return;
        }
        this.calls.delete(String(f.ref));
        clearTimeout(c.timer);
        if (f.event === 'ack') c.resolve(d);
        else c.reject(new SocketError(d.code, d.message));
        return;
      }
      case 'receive-message':
        this.rooms.ingest(d);
        return;
      case 'typing-start':
      case 'typing-stop':
        this.emit('typing', { roomId: d.roomId, userId: d.userId, typing: f.event === 'typing-start' });
        return;
      case 'message-read':
        this.rooms.receipt(d);
        return;
      case 'presence':
        this.presence.set(d.userId, { status: d.status, lastSeen: d.lastSeen || null });
        this.emit('presence', d);
        return;
    }
  }

  // --- rooms and messages ---------------------------------------------------

  /**
   * join subscribes to a room's live messages, now and after every reconnect.
   * lastSeq is the newest message the caller already has (from history):
   * everything after it is delivered as `message` events, in order, once.
   */
  join(roomId, { lastSeq } = {}) { return this.rooms.join(roomId, lastSeq); }
  leave(roomId) { return this.rooms.leave(roomId); }

  /**
   * send queues a message in the outbox and resolves with its ack
   * {id, roomId, seq, timestamp, clientMsgId} once stored; until then it is
   * re-sent with the same clientMsgId after every reconnect.
   */
  send(roomId, content) {
    const clientMsgId = uuid();
    if (!this.rooms.get(roomId).wanted) this.join(roomId).catch(() => {}); // sends need a joined room
    this.stopTyping(roomId, false);
    return new Promise((resolve, reject) => {
      const entry = { clientMsgId, roomId, content, resolve, reject, inflight: false, createdAt: Date.now() };
      this.outbox.set(clientMsgId, entry);
      this.emit('outbox', this.pending());
      this.flush(entry);
    });
  }

  /** pending lists the messages sent but not yet acknowledged. */
  pending() {
    return [...this.outbox.values()].map(({ clientMsgId, roomId, content, createdAt }) => ({ clientMsgId, roomId, content, createdAt }));
  }

  flush(entry) {
    if (entry.inflight || !this.ready || !this.rooms.joined(entry.roomId)) return;
    entry.inflight = true;
    const ws = this.ws;
    this.call('send-message', { roomId: entry.roomId, content: entry.content, clientMsgId: entry.clientMsgId }).then(
      (ack) => this.settle(entry.clientMsgId, ack),
      (err) => {
        entry.inflight = false;
        if (FATAL_SEND.has(err.code)) {
          this.outbox.delete(entry.clientMsgId);
          this.emit('outbox', this.pending());
          this.emit('send-failed', { clientMsgId: entry.clientMsgId, roomId: entry.roomId, error: err });
          entry.reject(err);
        } else if (this.ws === ws && this.ready) {
          setTimeout(() => this.flush(entry), 1000); // unavailable, rate_limited, timeout
        } // else: a reconnect flushes it
      },
    );
  }

  // flushRoom re-sends a room's outbox once it is joined again.
  flushRoom(roomId) {
    for (const e of this.outbox.values()) if (e.roomId === roomId) this.flush(e);
  }

  settle(clientMsgId, ack) {
    const e = this.outbox.get(clientMsgId);
    if (!e) return;
    this.outbox.delete(clientMsgId);
    const data = { ...ack, clientMsgId };
    this.emit('sent', data);
    this.emit('outbox', this.pending());
    e.resolve(data);
  }

  /** typing announces typing in a room, throttled; it stops by itself when input pauses. */
  typing(roomId) {
    if (!this.ready || !this.rooms.joined(roomId)) return;
    const t = this.typingOut.get(roomId) || { lastSent: 0, idle: null };
    const now = Date.now();
    if (now - t.lastSent >= this.opts.typingIntervalMs) {
      this.write('typing-start', { roomId });
      t.lastSent = now;
    }
    clearTimeout(t.idle);
    t.idle = setTimeout(() => this.stopTyping(roomId), this.opts.typingIdleMs);
    this.typingOut.set(roomId, t);
  }

  stopTyping(roomId, announce = true) {
    const t = this.typingOut.get(roomId);
    if (!t) return;
    clearTimeout(t.idle);
    this.typingOut.delete(roomId);
    if (announce && this.ready) this.write('typing-stop', { roomId });
  }

  /** markRead moves the read pointer (socket when connected, else REST). */
  markRead(roomId, seq) { return this.rooms.markRead(roomId, seq); }
}
