// Type declarations of the chatforge SDK (index.js).

export declare const GLOBAL_ROOM: string;

/** A message, the same shape on REST and on the socket. */
export interface Message {
  id: string;
  roomId: string;
  seq: number;
  userId: string;
  content: string;
  clientMsgId?: string;
  timestamp: string;
}

export interface User {
  id: string;
  email: string;
  displayName: string;
  emailVerified: boolean;
  isBot: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Room {
  id: string;
  kind: 'global' | 'public' | 'private' | 'direct';
  name: string;
  ownerId?: string;
  peerId?: string;
  memberCount?: number;
  lastSeq: number;
  createdAt: string;
  role?: 'owner' | 'member';
  unreadCount?: number;
  lastMessage?: Message;
}

export interface Page<T> { items: T[]; nextCursor: string | null; }

export interface SessionTokens {
  accessToken: string;
  refreshToken: string;
  /** epoch milliseconds */
  expiresAt: number;
  user: User | null;
}

export interface Ack { id: string; roomId: string; seq: number; timestamp: string; clientMsgId: string; }
export interface PendingMessage { clientMsgId: string; roomId: string; content: string; createdAt: number; }
export interface Joined { roomId: string; lastSeq: number; recovered: boolean; }

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting';

export interface Events {
  state: ConnectionState;
  ready: { userId: string; sessionId: string; connectionId: string };
  disconnected: { code: number };
  /** every message of a joined room, in seq order, once */
  message: Message & { own: boolean };
  joined: Joined;
  sent: Ack;
  outbox: PendingMessage[];
  'send-failed': { clientMsgId: string; roomId: string; error: SocketError };
  typing: { roomId: string; userId: string; typing: boolean };
  presence: { userId: string; status: 'online' | 'offline'; lastSeen?: string };
  read: { roomId: string; userId: string; seq: number };
  /** tokens changed (persist them) or null (forget them) */
  session: SessionTokens | null;
  /** the session ended: logout, or the refresh token was refused (error set) */
  logout: Error | null;
  error: Error;
}

export interface ClientOptions {
  apiUrl: string;
  /** the gateway's base URL (http(s) or ws(s)); default apiUrl */
  gatewayUrl?: string;
  /** a WebSocket constructor; default globalThis.WebSocket */
  WebSocket?: any;
  fetch?: typeof fetch;
  /** refresh the access token this long before it expires (60000) */
  refreshMarginMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  typingIntervalMs?: number;
  typingIdleMs?: number;
  requestTimeoutMs?: number;
}

export declare class ChatError extends Error {
  status: number;
  problem: { type: string; title: string; status: number; detail: string; requestId: string; errors?: { field: string; message: string }[] } | null;
}

export declare class SocketError extends Error {
  /** a protocol error code, or 'disconnected', 'timeout', 'logged_out' */
  code: string;
}

export declare class ChatClient {
  constructor(opts: ClientOptions);
  readonly user: User | null;
  readonly tokens: SessionTokens | null;
  readonly state: ConnectionState;
  readonly presence: Map<string, { status: 'online' | 'offline'; lastSeen: string | null }>;

  on<K extends keyof Events>(event: K, fn: (data: Events[K]) => void): () => void;
  off<K extends keyof Events>(event: K, fn: (data: Events[K]) => void): void;

  register(body: { email: string; password: string; displayName: string }): Promise<User>;
  verifyEmail(token: string): Promise<void>;
  forgotPassword(email: string): Promise<void>;
  resetPassword(token: string, newPassword: string): Promise<void>;
  login(email: string, password: string): Promise<User>;
  resume(tokens: SessionTokens): void;
  logout(): Promise<void>;
  request<T = any>(method: string, path: string, body?: unknown): Promise<T>;

  profile(): Promise<User>;
  sessions(): Promise<{ id: string; userAgent: string; ip: string; createdAt: string; lastUsedAt: string; current: boolean }[]>;
  revokeSession(id: string): Promise<void>;
  listRooms(cursor?: string): Promise<Page<Room>>;
  allRooms(): Promise<Room[]>;
  publicRooms(q?: string): Promise<Page<Room>>;
  room(id: string): Promise<Room & { members: { userId: string; role: string; joinedAt: string }[] }>;
  createRoom(name: string, kind: 'public' | 'private', memberIds?: string[]): Promise<Room>;
  addMember(roomId: string, userId: string): Promise<void>;
  members(roomId: string): Promise<Page<{ userId: string; role: 'owner' | 'member'; joinedAt: string }>>;
  joinPublic(roomId: string): Promise<Room>;
  leavePublic(roomId: string): Promise<void>;
  direct(userId: string): Promise<Room>;
  search(q: string, roomId?: string, cursor?: string): Promise<Page<Message & { rank: number }>>;
  history(roomId: string, opts?: { before?: number; after?: number; limit?: number }): Promise<Page<Message>>;

  connect(): void;
  disconnect(): void;
  reconnectNow(): void;
  join(roomId: string, opts?: { lastSeq?: number }): Promise<Joined>;
  leave(roomId: string): Promise<void>;
  send(roomId: string, content: string): Promise<Ack>;
  pending(): PendingMessage[];
  typing(roomId: string): void;
  stopTyping(roomId: string): void;
  markRead(roomId: string, seq: number): Promise<{ roomId: string; seq: number }>;
}
