// SDK tests against a running stack: CHATFORGE_API_URL, CHATFORGE_GATEWAY_URL
// (and CHATFORGE_REPLAY_MAX, the gateway's REPLAY_MAX). Run by
// tests/web (go test), or by hand: node --test test/*.test.js against `go tool task up`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ChatClient } from '../index.js';
import { NodeWebSocket } from './ws-node.js';

const apiUrl = process.env.CHATFORGE_API_URL || 'http://localhost:8080';
const gatewayUrl = process.env.CHATFORGE_GATEWAY_URL || 'http://localhost:8081';
const replayMax = Number(process.env.CHATFORGE_REPLAY_MAX || 1000);
const password = 'correct horse battery';

// The global WebSocket (Node 22+, or 20 with --experimental-websocket), else
// an injected one; CHATFORGE_TEST_WS=node forces the injected one.
const WebSocket = process.env.CHATFORGE_TEST_WS === 'node' || !globalThis.WebSocket ? NodeWebSocket : globalThis.WebSocket;
before(() => console.log('WebSocket:', WebSocket === NodeWebSocket ? 'injected (test/ws-node.js)' : 'global'));

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

async function until(what, cond, ms = 15000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(50);
  }
}

// user registers and logs in a new account; counts refreshes in .refreshes.
async function user(name, opts = {}) {
  const counted = { refreshes: 0 };
  const fetch = (url, init) => {
    if (String(url).endsWith('/api/auth/refresh')) counted.refreshes++;
    return globalThis.fetch(url, init);
  };
  const c = new ChatClient({ apiUrl, gatewayUrl, fetch, WebSocket, minBackoffMs: 300, maxBackoffMs: 2000, ...opts });
  const email = `${name}-${Date.now()}-${Math.random().toString(16).slice(2)}@example.com`;
  await c.register({ email, password, displayName: name });
  await c.login(email, password);
  c.counted = counted;
  c.email = email;
  c.received = [];
  c.on('message', (m) => c.received.push(m));
  return c;
}

// roomWith creates a public room owned by a with b as a member.
async function roomWith(a, b) {
  const r = await a.createRoom('sdk ' + Math.random().toString(16).slice(2, 8), 'private', [b.user.id]);
  return r.id;
}

function post(c, roomId, content) {
  return c.request('POST', '/api/chat/messages', { roomId, content, clientMsgId: 'rest-' + Math.random().toString(16).slice(2) });
}

function seqsOf(c, roomId) { return c.received.filter((m) => m.roomId === roomId).map((m) => m.seq); }

function assertOrderedOnce(seqs, from, to) {
  const want = [];
  for (let s = from; s <= to; s++) want.push(s);
  assert.deepEqual(seqs, want);
}

test('refresh on 401 runs once for concurrent requests, and before expiry', async () => {
  const a = await user('ada');
  const good = a.tokens.accessToken;
  a.session.tokens.accessToken = good.slice(0, -4) + 'AAAA'; // a bad signature: every request gets 401
  const profiles = await Promise.all([1, 2, 3, 4, 5].map(() => a.profile()));
  for (const p of profiles) assert.equal(p.id, a.user.id);
  assert.equal(a.counted.refreshes, 1, 'one refresh for five 401s');
  assert.notEqual(a.tokens.accessToken, good);

  a.session.tokens.expiresAt = Date.now() + 1000; // inside the refresh margin
  await a.profile();
  assert.equal(a.counted.refreshes, 2, 'refreshed before expiry');

  a.session.tokens.refreshToken = 'spent';
  a.session.tokens.accessToken = 'bad';
  let ended = null;
  a.on('logout', (err) => { ended = err; });
  await assert.rejects(a.profile(), (err) => err.status === 401);
  assert.ok(ended, 'a refused refresh ends the session');
  assert.equal(a.tokens, null);
});

test('reconnect and resume: no gap, no duplicate', async () => {
  const a = await user('ann', { minBackoffMs: 1500 });
  const b = await user('bob');
  const room = await roomWith(a, b);
  a.connect();
  await a.join(room, { lastSeq: 0 });
  for (const t of ['m1', 'm2']) await post(b, room, t);
  await until('first messages', () => seqsOf(a, room).length === 2);

  let reconnects = 0;
  a.on('ready', () => reconnects++);
  a.ws.close(3000, 'test drop'); // the client did not ask to disconnect: it reconnects
  for (const t of ['m3', 'm4', 'm5', 'm6']) await post(b, room, t);
  await until('resumed messages', () => seqsOf(a, room).length >= 6);
  await sleep(300);
  assertOrderedOnce(seqsOf(a, room), 1, 6);
  assert.equal(reconnects, 1);
  a.disconnect();
});

test('outbox: sends queued or cut off by a drop are re-sent once each', async () => {
  const a = await user('cat');
  const b = await user('dan');
  const room = await roomWith(a, b);
  a.connect();
  await a.join(room, { lastSeq: 0 });
  await a.send(room, 'first');

  // In flight when the socket drops: re-sent with the same clientMsgId.
  const cut = a.send(room, 'cut off');
  a.ws.close(3000, 'test drop');
  // Queued while the socket is down.
  const queued = [a.send(room, 'queued 1'), a.send(room, 'queued 2')];
  assert.ok(a.pending().length >= 2, 'unacked sends wait in the outbox');
  const acks = await Promise.all([cut, ...queued]);
  assert.equal(new Set(acks.map((x) => x.seq)).size, 3);
  assert.equal(a.pending().length, 0);

  const page = await b.history(room, { after: 0 });
  const texts = page.items.map((m) => m.content);
  assert.deepEqual(texts.slice().sort(), ['cut off', 'first', 'queued 1', 'queued 2']);
  assert.deepEqual(page.items.map((m) => m.seq), [1, 2, 3, 4]);
  await until('own messages delivered', () => seqsOf(a, room).length === 4);
  assertOrderedOnce(seqsOf(a, room), 1, 4);
  a.disconnect();
});

const smallReplay = replayMax <= 50 ? false : 'needs a gateway with a small REPLAY_MAX, given in CHATFORGE_REPLAY_MAX';
test('recovered:false: the rest is paged over REST', { skip: smallReplay }, async () => {
  const a = await user('eve');
  const b = await user('fay');
  const room = await roomWith(a, b);
  a.connect();
  await a.join(room, { lastSeq: 0 });
  await post(b, room, 'before');
  await until('first message', () => seqsOf(a, room).length === 1);

  a.disconnect();
  const missed = replayMax * 3 + 2;
  for (let i = 0; i < missed; i++) await post(b, room, 'missed ' + i);
  const joins = [];
  a.on('joined', (j) => joins.push(j));
  a.connect();
  await until('every missed message', () => seqsOf(a, room).length === missed + 1);
  await sleep(300);
  assertOrderedOnce(seqsOf(a, room), 1, missed + 1);
  const j = joins.find((x) => x.roomId === room);
  assert.ok(j, 'room rejoined');
  if (replayMax < missed) assert.equal(j.recovered, false, 'the gateway replayed only REPLAY_MAX');
  a.disconnect();
});

test('typing, read receipts and presence reach the other member', async () => {
  const a = await user('gus', { typingIntervalMs: 100000 });
  const b = await user('hal');
  const room = await roomWith(a, b);
  a.connect();
  b.connect();
  await Promise.all([a.join(room, { lastSeq: 0 }), b.join(room, { lastSeq: 0 })]);
  const typing = [];
  const reads = [];
  b.on('typing', (e) => typing.push(e));
  b.on('read', (e) => reads.push(e));
  a.typing(room);
  a.typing(room); // throttled: one typing-start
  await until('typing-start', () => typing.some((e) => e.typing && e.userId === a.user.id));
  a.stopTyping(room);
  await until('typing-stop', () => typing.some((e) => !e.typing));
  assert.equal(typing.filter((e) => e.typing).length, 1);

  const ack = await b.send(room, 'read me');
  await until('a got it', () => seqsOf(a, room).includes(ack.seq));
  await a.markRead(room, ack.seq);
  await until('receipt', () => reads.some((r) => r.userId === a.user.id && r.seq === ack.seq));
  await until('presence', () => b.presence.get(a.user.id)?.status === 'online');
  a.disconnect();
  await until('offline', () => b.presence.get(a.user.id)?.status === 'offline');
  b.disconnect();
});

test('a session revoked elsewhere ends with a logout event; logout ends quietly', async () => {
  const a = await user('ivy');
  // The injected client here: Node's own (undici) keeps the process alive
  // after a refused upgrade, which would hang the test runner.
  const other = new ChatClient({ apiUrl, gatewayUrl, WebSocket: NodeWebSocket, minBackoffMs: 100, maxBackoffMs: 500 });
  await other.login(a.email, password);
  let ended;
  other.on('logout', (err) => { ended = err; });
  const trace = [];
  other.on('disconnected', (d) => trace.push('closed ' + d.code));
  other.on('state', (st) => trace.push(st));
  other.on('error', (e) => trace.push('error ' + e.message));
  other.connect();
  await until('other online', () => other.state === 'online');
  const sessions = await a.sessions();
  const victim = sessions.find((x) => !x.current);
  assert.ok(victim, 'two sessions');
  await a.revokeSession(victim.id);
  await until('the revoked client logged out', () => ended !== undefined, 20000).catch((err) => {
    throw new Error(err.message + ': ' + trace.join(', '));
  });
  assert.ok(ended instanceof Error, 'logout carries the refused refresh');
  assert.equal(other.tokens, null);
  assert.equal(other.state, 'offline');

  let quiet;
  a.on('logout', (err) => { quiet = err; });
  a.connect();
  await until('a online', () => a.state === 'online');
  await a.logout();
  await sleep(300);
  assert.equal(quiet, null, 'a logout is not an error');
  assert.equal(a.tokens, null);
});
