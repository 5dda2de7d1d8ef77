// The chatforge web app: plain DOM over the SDK. User data (message text,
// names, room names) is only ever written with textContent, never as HTML.
import { ChatClient, GLOBAL_ROOM } from '/sdk/index.js';

const $ = (id) => document.getElementById(id);
const SESSION_KEY = 'chatforge.session';
const ACTIVE_KEY = 'chatforge.active';
const PAGE = 50;

// el builds an element; text is set with textContent.
function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.append(c);
  return e;
}

const cfg = await fetch('/config.json').then((r) => r.json());
const client = new ChatClient({ apiUrl: cfg.apiUrl, gatewayUrl: cfg.gatewayUrl });
window.chatforge = { client }; // for the console and the browser tests

const state = {
  rooms: new Map(), // id -> room from the API (+ local unreadCount)
  order: [],
  active: null,
  msgs: new Map(), // roomId -> {bySeq: Map, hasMore, oldest, loaded, loading}
  typing: new Map(), // roomId -> Map userId -> timer
  members: [],
  poll: null,
};

// --- small helpers -------------------------------------------------------------

function toast(text) {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
}

function errText(err) {
  if (err && err.problem && err.problem.errors) {
    return err.problem.errors.map((e) => `${e.field} ${e.message}`).join(', ');
  }
  return (err && err.message) || 'Something went wrong';
}

function me() { return client.user; }

function nameOf(userId) {
  if (me() && userId === me().id) return me().displayName + ' (you)';
  // No API gives other users' names (yet): a short id, from the random end
  // of the UUID (v7 ids share their leading, time-based digits).
  return 'User ' + userId.slice(-6);
}

function roomName(r) {
  if (r.kind === 'global') return 'Everyone';
  if (r.kind === 'direct') return r.peerId ? nameOf(r.peerId) : r.name || 'Direct';
  return r.name;
}

function fmtTime(ts) {
  const d = new Date(ts);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

// --- auth screens --------------------------------------------------------------

function showAuth(msg) {
  $('chat').hidden = true;
  $('auth').hidden = false;
  const m = $('auth-msg');
  m.hidden = !msg;
  m.textContent = msg || '';
  document.title = 'chatforge';
}

function selectTab(which) {
  const login = which === 'login';
  $('tab-login').setAttribute('aria-selected', String(login));
  $('tab-register').setAttribute('aria-selected', String(!login));
  $('login-form').hidden = !login;
  $('register-form').hidden = login;
  $('reset-form').hidden = true;
}
$('tab-login').addEventListener('click', () => selectTab('login'));
$('tab-register').addEventListener('click', () => selectTab('register'));

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await client.login(f.get('email'), f.get('password'));
    ev.target.reset();
    enterChat();
  } catch (err) {
    showAuth(err.status === 401 ? 'Wrong email or password.' : errText(err));
  }
});

$('register-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    await client.register({ email: f.get('email'), password: f.get('password'), displayName: f.get('displayName') });
    ev.target.reset();
    selectTab('login');
    showAuth('Account created. Open the verification link we e-mailed you, then log in.');
  } catch (err) {
    showAuth(err.status === 409 ? 'That e-mail is already registered.' : errText(err));
  }
});

$('forgot').addEventListener('click', async () => {
  const email = $('login-form').elements.email.value;
  if (!email) return showAuth('Type your e-mail first.');
  try {
    await client.forgotPassword(email);
    showAuth('If that account exists, a reset link is on its way.');
  } catch (err) { showAuth(errText(err)); }
});

async function handleLinks() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (url.pathname === '/verify-email' && token) {
    history.replaceState(null, '', '/');
    try {
      await client.verifyEmail(token);
      return 'Your e-mail is verified. You can log in.';
    } catch (err) {
      return 'This verification link is invalid or expired. ' + errText(err);
    }
  }
  if (url.pathname === '/reset-password' && token) {
    history.replaceState(null, '', '/');
    $('login-form').hidden = true;
    $('reset-form').hidden = false;
    $('reset-form').onsubmit = async (ev) => {
      ev.preventDefault();
      try {
        await client.resetPassword(token, new FormData(ev.target).get('password'));
        selectTab('login');
        showAuth('Password changed. Log in with the new one.');
      } catch (err) { showAuth(errText(err)); }
    };
    return 'Choose a new password.';
  }
  return '';
}

// --- session -------------------------------------------------------------------

// The session lives in sessionStorage: it survives reloads, and each tab has
// its own (two tabs sharing one single-use refresh token would revoke it).
client.on('session', (t) => {
  if (t) sessionStorage.setItem(SESSION_KEY, JSON.stringify(t));
  else sessionStorage.removeItem(SESSION_KEY);
});
client.on('logout', (err) => {
  clearInterval(state.poll);
  state.rooms.clear();
  state.msgs.clear();
  showAuth(err ? 'Your session ended. Please log in again.' : 'You are logged out.');
});

$('logout').addEventListener('click', () => client.logout().catch(() => {}));
$('copy-id').addEventListener('click', async () => {
  try { await navigator.clipboard.writeText(me().id); toast('ID copied'); } catch { toast(me().id); }
});

// --- connection banner -----------------------------------------------------------

function banner() {
  const b = $('banner');
  let text = '';
  if (!navigator.onLine) text = 'You are offline. Messages will be sent when the connection is back.';
  else if (client.state === 'reconnecting') text = 'Connection lost. Reconnecting…';
  else if (client.state === 'connecting') text = 'Connecting…';
  b.textContent = text;
  b.hidden = !text || $('chat').hidden;
  b.dataset.state = navigator.onLine ? client.state : 'offline';
}
client.on('state', () => { banner(); renderMembers(); });
window.addEventListener('online', () => { banner(); client.reconnectNow(); });
window.addEventListener('offline', banner);

// --- rooms -----------------------------------------------------------------------

async function enterChat() {
  $('auth').hidden = true;
  $('chat').hidden = false;
  if (!me() || !me().id) {
    const p = await client.profile();
    client.session.tokens.user = p;
  }
  $('my-name').textContent = me().displayName;
  $('my-id').textContent = me().id;
  client.connect();
  banner();
  await loadRooms();
  const saved = sessionStorage.getItem(ACTIVE_KEY);
  openRoom(state.rooms.has(saved) ? saved : GLOBAL_ROOM);
  clearInterval(state.poll);
  // Nothing on the socket says "you were added to a room": poll the list.
  state.poll = setInterval(() => loadRooms().catch(() => {}), 5000);
}

async function loadRooms() {
  const list = await client.allRooms();
  for (const r of list) addRoom(r);
  renderRooms();
}

function addRoom(r) {
  const known = state.rooms.get(r.id);
  if (known) {
    Object.assign(known, { name: r.name, memberCount: r.memberCount, role: r.role });
    return known;
  }
  const room = { ...r, unreadCount: r.unreadCount || 0 };
  state.rooms.set(r.id, room);
  state.order.push(r.id);
  client.join(r.id, { lastSeq: r.lastSeq }).catch((err) => toast(`Cannot join ${roomName(room)}: ${errText(err)}`));
  return room;
}

function presenceDot(userId) {
  // The gateway does not echo one's own presence: we are online while our socket is.
  const p = client.presence.get(userId);
  const on = me() && userId === me().id ? client.state === 'online' : !!(p && p.status === 'online');
  return el('span', { class: 'dot' + (on ? ' on' : ''), title: on ? 'online' : 'offline', 'aria-label': on ? 'online' : 'offline', role: 'img' });
}

function renderRooms() {
  const ul = $('room-list');
  ul.replaceChildren();
  let total = 0;
  for (const id of state.order) {
    const r = state.rooms.get(id);
    if (!r) continue;
    total += r.unreadCount;
    const label = el('span', { class: 'name', text: roomName(r) });
    const btn = el('button', {
      type: 'button', class: 'room-btn', 'data-room': id,
      'aria-current': id === state.active ? 'true' : 'false',
      onclick: () => openRoom(id),
    }, r.kind === 'direct' && r.peerId ? presenceDot(r.peerId) : el('span', { class: 'kind ' + r.kind, text: r.kind === 'private' ? '' : '#', title: r.kind }), label);
    if (r.unreadCount > 0) {
      btn.append(el('span', { class: 'badge', text: String(r.unreadCount), 'aria-label': `${r.unreadCount} unread` }));
    }
    ul.append(el('li', {}, btn));
  }
  document.title = total ? `(${total}) chatforge` : 'chatforge';
}

async function openRoom(id) {
  const r = state.rooms.get(id);
  if (!r) return;
  state.active = id;
  sessionStorage.setItem(ACTIVE_KEY, id);
  r.unreadCount = 0;
  $('search-results').hidden = true;
  $('side').classList.remove('open');
  $('toggle-rooms').setAttribute('aria-expanded', 'false');
  $('room-title').textContent = roomName(r);
  roomInfo(r);
  $('invite-form').hidden = !(r.role === 'owner' && (r.kind === 'public' || r.kind === 'private'));
  renderRooms();
  renderTyping();
  $('messages').replaceChildren();
  const box = msgBox(id);
  if (!box.loaded) await loadOlder(id);
  if (state.active !== id) return;
  renderMessages(true);
  markReadLatest();
  loadMembers(id);
}

async function loadMembers(id) {
  const r = state.rooms.get(id);
  state.members = [];
  if (r.kind !== 'global') {
    try { state.members = (await client.members(id)).items; } catch { state.members = []; }
  }
  if (state.active === id) renderMembers();
}

function roomInfo(r) {
  const n = state.members.length || r.memberCount || 0;
  $('room-info').textContent = r.kind === 'global' ? 'everyone' : `${r.kind}${n ? ` · ${n} member${n === 1 ? '' : 's'}` : ''}`;
}

function renderMembers() {
  const r = state.rooms.get(state.active);
  if (r) roomInfo(r);
  const ul = $('members');
  ul.replaceChildren(...state.members.map((m) =>
    el('li', {}, presenceDot(m.userId), el('span', { text: nameOf(m.userId) + (m.role === 'owner' ? ' · owner' : '') }))));
  ul.hidden = state.members.length === 0;
}

// --- messages --------------------------------------------------------------------

function msgBox(roomId) {
  let b = state.msgs.get(roomId);
  if (!b) {
    b = { bySeq: new Map(), hasMore: true, oldest: null, loaded: false, loading: false };
    state.msgs.set(roomId, b);
  }
  return b;
}

// loadOlder pages history backwards (infinite scroll).
async function loadOlder(roomId) {
  const b = msgBox(roomId);
  if (b.loading || (b.loaded && !b.hasMore)) return;
  b.loading = true;
  try {
    const page = await client.history(roomId, { before: b.oldest || undefined, limit: PAGE });
    for (const m of page.items) b.bySeq.set(m.seq, m);
    b.hasMore = !!page.nextCursor;
    if (page.items.length) b.oldest = Math.min(...page.items.map((m) => m.seq));
    b.loaded = true;
  } catch (err) {
    toast('Cannot load history: ' + errText(err));
  } finally {
    b.loading = false;
  }
}

function lastReadBy(roomId) {
  let best = null;
  for (const [userId, seq] of client.rooms.receipts(roomId)) {
    if (me() && userId === me().id) continue;
    if (!best || seq > best.seq) best = { userId, seq };
  }
  return best;
}

function messageItem(m, pending) {
  const own = me() && m.userId === me().id;
  const li = el('li', { class: 'msg' + (own ? ' own' : '') + (pending ? ' pending' : ''), 'data-seq': m.seq || '' },
    el('div', { class: 'meta' },
      el('span', { class: 'author', text: nameOf(m.userId) }),
      el('time', { datetime: m.timestamp || '', text: m.timestamp ? fmtTime(m.timestamp) : '' })),
    el('p', { class: 'text', text: m.content }));
  if (pending) li.append(el('span', { class: 'status', text: 'Sending…' }));
  return li;
}

function renderMessages(stick) {
  const list = $('messages');
  const id = state.active;
  if (!id) return;
  const b = msgBox(id);
  const atBottom = stick || list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const seqs = [...b.bySeq.keys()].sort((a, c) => a - c);
  const items = [];
  if (b.loaded && !b.hasMore) items.push(el('li', { class: 'start', text: 'Start of the conversation' }));
  const receipt = lastReadBy(id);
  let lastOwnRead = null;
  for (const s of seqs) {
    const m = b.bySeq.get(s);
    const li = messageItem(m, false);
    if (receipt && m.userId === me().id && s <= receipt.seq) lastOwnRead = li;
    items.push(li);
  }
  if (lastOwnRead) lastOwnRead.append(el('span', { class: 'status read', text: 'Read by ' + nameOf(receipt.userId) }));
  const me_ = me();
  for (const p of client.pending()) {
    if (p.roomId === id) items.push(messageItem({ ...p, userId: me_.id }, true));
  }
  list.replaceChildren(...items);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

$('messages').addEventListener('scroll', async () => {
  const list = $('messages');
  const id = state.active;
  const b = msgBox(id);
  if (list.scrollTop > 60 || !b.hasMore || b.loading) return;
  const before = list.scrollHeight;
  await loadOlder(id);
  if (state.active !== id) return;
  renderMessages(false);
  list.scrollTop = list.scrollHeight - before + list.scrollTop;
});

function markReadLatest() {
  const id = state.active;
  if (!id || document.hidden) return;
  const b = msgBox(id);
  const newest = Math.max(0, ...b.bySeq.keys());
  if (newest > 0) client.markRead(id, newest).catch(() => {});
}
document.addEventListener('visibilitychange', markReadLatest);

client.on('message', (m) => {
  const b = state.msgs.get(m.roomId);
  if (b) b.bySeq.set(m.seq, m);
  clearTyping(m.roomId, m.userId);
  const r = state.rooms.get(m.roomId);
  if (m.roomId === state.active) {
    renderMessages(false);
    if (!m.own) markReadLatest();
  } else if (r && !m.own) {
    r.unreadCount++;
    renderRooms();
  }
});
client.on('outbox', () => renderMessages(false));
client.on('read', (d) => { if (d.roomId === state.active) renderMessages(false); });
client.on('send-failed', (d) => toast('Not sent: ' + errText(d.error)));
client.on('presence', () => { renderRooms(); renderMembers(); });
client.on('joined', (d) => { if (d.roomId === state.active) renderMessages(false); });

$('composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $('composer-input');
  const text = input.value;
  if (!text.trim() || !state.active) return;
  input.value = '';
  client.send(state.active, text).catch(() => {});
  renderMessages(true);
});
$('composer-input').addEventListener('input', () => { if (state.active) client.typing(state.active); });

// --- typing ----------------------------------------------------------------------

function clearTyping(roomId, userId) {
  const t = state.typing.get(roomId);
  if (!t || !t.has(userId)) return;
  clearTimeout(t.get(userId));
  t.delete(userId);
  if (roomId === state.active) renderTyping();
}

client.on('typing', ({ roomId, userId, typing }) => {
  if (me() && userId === me().id) return;
  if (!typing) return clearTyping(roomId, userId);
  if (!state.typing.has(roomId)) state.typing.set(roomId, new Map());
  const t = state.typing.get(roomId);
  clearTimeout(t.get(userId));
  t.set(userId, setTimeout(() => clearTyping(roomId, userId), 10000)); // a lost stop
  if (roomId === state.active) renderTyping();
});

function renderTyping() {
  const t = state.typing.get(state.active);
  const who = t ? [...t.keys()].map(nameOf) : [];
  $('typing').textContent = who.length === 0 ? '' : who.length === 1 ? `${who[0]} is typing…` : `${who.join(', ')} are typing…`;
}

// --- room management -------------------------------------------------------------

$('create-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const f = new FormData(ev.target);
  try {
    const r = await client.createRoom(f.get('name'), f.get('kind'));
    ev.target.reset();
    ev.target.closest('details').open = false;
    addRoom({ ...r, role: 'owner', unreadCount: 0 });
    openRoom(r.id);
  } catch (err) { toast(errText(err)); }
});

$('invite-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const userId = new FormData(ev.target).get('userId').trim();
  try {
    await client.addMember(state.active, userId);
    ev.target.reset();
    toast('Added ' + nameOf(userId));
    loadMembers(state.active);
  } catch (err) { toast(err.status === 404 ? 'No such user.' : errText(err)); }
});

$('direct-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const userId = new FormData(ev.target).get('userId').trim();
  try {
    const r = await client.direct(userId);
    ev.target.reset();
    ev.target.closest('details').open = false;
    addRoom({ ...r, unreadCount: 0 });
    openRoom(r.id);
  } catch (err) { toast(err.status === 404 ? 'No such user.' : errText(err)); }
});

$('browse-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const page = await client.publicRooms(new FormData(ev.target).get('q'));
    $('public-list').replaceChildren(...page.items.map((r) => el('li', {},
      el('span', { text: r.name }),
      state.rooms.has(r.id)
        ? el('button', { type: 'button', class: 'small', text: 'Open', onclick: () => openRoom(r.id) })
        : el('button', {
          type: 'button', class: 'small', text: 'Join',
          onclick: async () => {
            try { await client.joinPublic(r.id); addRoom({ ...r, role: 'member' }); openRoom(r.id); } catch (err) { toast(errText(err)); }
          },
        }))));
  } catch (err) { toast(errText(err)); }
});

// --- search ----------------------------------------------------------------------

$('search-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const q = $('search-input').value.trim();
  if (!q) return;
  try {
    const page = await client.search(q);
    const list = $('search-list');
    list.replaceChildren(...page.items.map((h) => {
      const r = state.rooms.get(h.roomId);
      return el('li', {}, el('button', { type: 'button', class: 'hit', onclick: () => openRoom(h.roomId) },
        el('span', { class: 'muted', text: `${r ? roomName(r) : 'room'} · ${nameOf(h.userId)} · ${fmtTime(h.timestamp)}` }),
        el('span', { class: 'text', text: h.content })));
    }));
    if (!page.items.length) list.append(el('li', { text: 'No messages found.' }));
    $('search-results').hidden = false;
  } catch (err) { toast(errText(err)); }
});
$('close-search').addEventListener('click', () => { $('search-results').hidden = true; });

// --- sessions --------------------------------------------------------------------

$('open-sessions').addEventListener('click', async () => {
  const dlg = $('sessions');
  const render = async () => {
    const list = await client.sessions();
    $('session-list').replaceChildren(...list.map((s) => el('li', {},
      el('span', { text: `${s.userAgent || 'unknown client'} · ${s.ip} · last used ${new Date(s.lastUsedAt).toLocaleString()}` }),
      s.current ? el('strong', { text: ' (this session)' })
        : el('button', {
          type: 'button', class: 'small', text: 'Revoke',
          onclick: async () => { try { await client.revokeSession(s.id); render(); } catch (err) { toast(errText(err)); } },
        }))));
  };
  try { await render(); dlg.showModal(); } catch (err) { toast(errText(err)); }
});

$('toggle-rooms').addEventListener('click', () => {
  const open = $('side').classList.toggle('open');
  $('toggle-rooms').setAttribute('aria-expanded', String(open));
});

// --- start -----------------------------------------------------------------------

const notice = await handleLinks();
const saved = sessionStorage.getItem(SESSION_KEY);
if (saved && !notice) {
  client.resume(JSON.parse(saved));
  enterChat().catch((err) => showAuth(errText(err)));
} else {
  showAuth(notice);
}
