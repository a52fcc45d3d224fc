// The session holds how the browser proves who it is to the platform.
// Today that is a bearer token (the admin token, or later an API token),
// kept in sessionStorage so it dies with the tab. A cookie login can
// replace it by making token() return "" and letting the browser send the
// cookie: the rest of the UI only looks at state().

export type SessionState =
  // No credentials yet: ask for them.
  | { kind: "signed-out" }
  // Credentials the platform has not refused.
  | { kind: "signed-in" }
  // The platform refused the credentials (expired, revoked or wrong).
  | { kind: "rejected"; reason: string };

const KEY = "runwatch.token";

export class Session {
  private listeners = new Set<() => void>();
  private current: SessionState;

  constructor(private storage: Storage) {
    this.current = storage.getItem(KEY) ? { kind: "signed-in" } : { kind: "signed-out" };
  }

  state(): SessionState {
    return this.current;
  }

  token(): string {
    return this.storage.getItem(KEY) ?? "";
  }

  signIn(token: string): void {
    this.storage.setItem(KEY, token.trim());
    this.set({ kind: "signed-in" });
  }

  signOut(): void {
    this.storage.removeItem(KEY);
    this.set({ kind: "signed-out" });
  }

  // reject is called when the platform answers Unauthenticated: the token
  // is dropped so a reload does not retry it, and the reason is shown.
  reject(reason: string): void {
    if (this.current.kind === "signed-out") return;
    this.storage.removeItem(KEY);
    this.set({ kind: "rejected", reason });
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(s: SessionState) {
    this.current = s;
    for (const fn of this.listeners) fn();
  }
}
