// http.js: the REST side of the SDK: JSON requests with a bearer token,
// token refresh before expiry and on 401 (one refresh at a time), and
// problem+json errors turned into ChatError.

/** ChatError is thrown for any non-2xx answer; problem is the RFC 9457 body. */
export class ChatError extends Error {
  constructor(status, problem, message) {
    const fields = problem && Array.isArray(problem.errors) ? ': ' + problem.errors.map((e) => `${e.field} ${e.message}`).join(', ') : '';
    super((message || (problem && (problem.detail || problem.title)) || `HTTP ${status}`) + fields);
    this.name = 'ChatError';
    this.status = status;
    this.problem = problem || null;
  }
}

// Session holds the tokens and refreshes them. Concurrency rule: at most one
// refresh is in flight (refresh tokens are single use: two parallel refreshes
// would present a spent token and revoke the whole session).
export class Session {
  constructor({ apiUrl, fetch: f, refreshMarginMs, onChange, onExpired }) {
    this.apiUrl = apiUrl.replace(/\/+$/, '');
    this.fetch = f || globalThis.fetch.bind(globalThis);
    this.margin = refreshMarginMs;
    this.onChange = onChange;
    this.onExpired = onExpired;
    this.tokens = null; // {accessToken, refreshToken, expiresAt, user}
    this.inflight = null;
    this.timer = null;
  }

  set(tokens) {
    this.tokens = tokens;
    this.schedule();
    this.onChange(tokens);
  }

  clear() {
    clearTimeout(this.timer);
    this.timer = null;
    this.tokens = null;
    this.onChange(null);
  }

  // schedule refreshes the access token shortly before it expires.
  schedule() {
    clearTimeout(this.timer);
    if (!this.tokens) return;
    const wait = Math.max(1000, this.tokens.expiresAt - Date.now() - this.margin);
    this.timer = setTimeout(() => this.refresh().catch(() => {}), wait);
    if (this.timer.unref) this.timer.unref();
  }

  fromLogin(body, user) {
    return {
      accessToken: body.accessToken,
      refreshToken: body.refreshToken,
      expiresAt: Date.now() + body.expiresIn * 1000,
      user: user || body.user || (this.tokens && this.tokens.user) || null,
    };
  }

  // refresh rotates the token pair; callers share the one in flight.
  refresh() {
    if (this.inflight) return this.inflight;
    const spent = this.tokens && this.tokens.refreshToken;
    if (!spent) return Promise.reject(new ChatError(401, null, 'not logged in'));
    this.inflight = (async () => {
      try {
        const res = await this.raw('POST', '/api/auth/refresh', { refreshToken: spent });
        if (!this.tokens || this.tokens.refreshToken !== spent) {
          throw new ChatError(401, null, 'logged out during refresh');
        }
        this.set(this.fromLogin(res));
        return this.tokens.accessToken;
      } catch (err) {
        // Refused: the session is over, unless it already ended or moved on
        // (logout, a new login) while this refresh was in flight.
        const current = this.tokens && this.tokens.refreshToken === spent;
        if (current && err instanceof ChatError && (err.status === 401 || err.status === 403)) {
          this.clear();
          this.onExpired(err);
        }
        throw err;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }

  // fresh returns an access token valid for at least the margin.
  async fresh() {
    if (!this.tokens) throw new ChatError(401, null, 'not logged in');
    if (this.tokens.expiresAt - Date.now() < this.margin) return this.refresh();
    return this.tokens.accessToken;
  }

  // raw sends one request with an optional token and decodes the answer.
  async raw(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await this.fetch(this.apiUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!res.ok) throw new ChatError(res.status, data);
    return data;
  }

  // request is raw with the session's token; a 401 refreshes once and retries.
  async request(method, path, body) {
    const token = await this.fresh();
    try {
      return await this.raw(method, path, body, token);
    } catch (err) {
      if (!(err instanceof ChatError) || err.status !== 401 || !this.tokens) throw err;
      // Another request may have refreshed already: retry with the newer token.
      const next = this.tokens.accessToken !== token ? this.tokens.accessToken : await this.refresh();
      return this.raw(method, path, body, next);
    }
  }
}

/** qs builds a query string from the defined values of params. */
export function qs(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v));
  }
  return parts.length ? '?' + parts.join('&') : '';
}
