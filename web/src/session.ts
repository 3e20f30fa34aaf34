// Where the bearer token lives: in memory, mirrored in sessionStorage so a reload of the tab keeps
// the session. sessionStorage is per origin and per tab; nothing goes to localStorage, cookies or
// URLs, so no script of another origin can read the token.

const KEY = 'cirrus.session';

export interface StoredSession {
  token: string;
  expiresAt: number; // epoch ms
}

type Listener = (session: StoredSession | null) => void;

function storage(): Storage | null {
  try {
    return typeof window !== 'undefined' ? window.sessionStorage : null;
  } catch {
    return null; // storage disabled: memory only
  }
}

export class SessionStore {
  private current: StoredSession | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
    const raw = storage()?.getItem(KEY);
    if (raw) {
      try {
        const parsed = JSON.parse(raw) as StoredSession;
        if (typeof parsed.token === 'string' && typeof parsed.expiresAt === 'number' && parsed.expiresAt > now()) {
          this.current = parsed;
        } else {
          storage()?.removeItem(KEY);
        }
      } catch {
        storage()?.removeItem(KEY);
      }
    }
  }

  /** The token while it is valid, else null (an expired one is dropped). */
  token(): string | null {
    if (this.current && this.current.expiresAt <= this.now()) this.clear();
    return this.current?.token ?? null;
  }

  set(token: string, expiresInSeconds: number): void {
    this.current = { token, expiresAt: this.now() + Math.max(0, expiresInSeconds) * 1000 };
    storage()?.setItem(KEY, JSON.stringify(this.current));
    this.emit();
  }

  clear(): void {
    const had = this.current !== null;
    this.current = null;
    storage()?.removeItem(KEY);
    if (had) this.emit();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    this.listeners.forEach((l) => l(this.current));
  }
}
