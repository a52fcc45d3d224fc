// The session holds how the browser proves who it is to the platform:
// either a session cookie set by AuthService.Login (a person with a
// password; the browser sends it, the UI never sees it) or a bearer token
// (an API token, or the platform's admin token) kept in sessionStorage so
// it dies with the tab. The rest of the UI only looks at state().

export type SessionState =
  // At start without a token: asking the platform whether a cookie
  // session exists.
  | { kind: "checking" }
  // No credentials: ask for them.
  | { kind: "signed-out" }
  // Credentials the platform has not refused.
  | { kind: "signed-in"; via: "cookie" | "token" }
  // The platform refused the credentials (expired, revoked or wrong).
  | { kind: "rejected"; reason: string; via: "cookie" | "token" };

const KEY = "runwatch.token";

export class Session {
  private listeners = new Set<() => void>();
  private current: SessionState;

  constructor(private storage: Storage) {
    this.current = storage.getItem(KEY) ? { kind: "signed-in", via: "token" } : { kind: "checking" };
  }

  state(): SessionState {
    return this.current;
  }

  // token is the bearer token to send, "" when the cookie speaks.
  token(): string {
    return this.storage.getItem(KEY) ?? "";
  }

  signIn(token: string): void {
    this.storage.setItem(KEY, token.trim());
    this.set({ kind: "signed-in", via: "token" });
  }

  // signedInWithCookie records that the platform accepted a session
  // cookie (after Login, or one left from earlier).
  signedInWithCookie(): void {
    this.storage.removeItem(KEY);
    this.set({ kind: "signed-in", via: "cookie" });
  }

  signOut(): void {
    this.storage.removeItem(KEY);
    this.set({ kind: "signed-out" });
  }

  // reject is called when the platform answers Unauthenticated: the token
  // is dropped so a reload does not retry it, and the reason is shown.
  // While checking for a cookie session, no session is simply signed out.
  reject(reason: string): void {
    const s = this.current;
    if (s.kind === "checking") return this.set({ kind: "signed-out" });
    if (s.kind !== "signed-in") return;
    this.storage.removeItem(KEY);
    this.set({ kind: "rejected", reason, via: s.via });
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
