// SignIn asks who you are: a username and password (a session cookie), or
// an API token (kept in this tab only). A refused session says so.
import { ConnectError } from "@connectrpc/connect";
import { useState } from "preact/hooks";
import { describeError, useApi } from "../api";

export function SignIn() {
  const api = useApi();
  const state = api.session.state();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // Whoever was signed in with a token is offered the token form again.
  const [useToken, setUseToken] = useState(state.kind === "rejected" && state.via === "token");

  const field = (f: HTMLFormElement, n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;

  const login = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    setBusy(true);
    setError(null);
    try {
      await api.auth.login({ username: field(f, "username").trim(), password: field(f, "password") });
      api.session.signedInWithCookie();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const tokenSignIn = async (e: Event) => {
    e.preventDefault();
    const token = field(e.currentTarget as HTMLFormElement, "token").trim();
    if (!token) {
      setError(new ConnectError("Enter a token."));
      return;
    }
    setBusy(true);
    setError(null);
    // Check the token before keeping it: one cheap read.
    try {
      await api.inventory.getOverview({}, { headers: { Authorization: `Bearer ${token}` } });
      api.session.signIn(token);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const refused = (err: unknown) => {
    const d = describeError(err);
    if (d.title !== "Signed out") return d;
    return useToken
      ? { title: "That token was refused: it is expired or wrong.", detail: d.detail }
      : { title: "Wrong username or password.", detail: d.detail };
  };

  return (
    <main id="main" class="signin">
      <div class="signin-card">
        <h1>
          <span class="logo" aria-hidden="true" /> Runwatch
        </h1>
        {state.kind === "rejected" && !error && (
          <div class="error-box" role="alert">
            <p class="error-title">
              {state.via === "cookie" ? "Your session has ended: it expired or was revoked." : "Your token was refused: it is expired, revoked or wrong."}
            </p>
            <p class="error-detail">The platform said: {state.reason || "unauthenticated"}. Sign in again.</p>
          </div>
        )}
        {error ? (
          <div class="error-box" role="alert">
            <p class="error-title">{refused(error).title}</p>
            <p class="error-detail">{refused(error).detail}</p>
          </div>
        ) : null}
        {!useToken ? (
          <form onSubmit={login} aria-label="Sign in with a password" class="signin-form">
            <label class="field wide">
              <span class="field-label">Username</span>
              <input name="username" autocomplete="username" required autofocus spellcheck={false} />
            </label>
            <label class="field wide">
              <span class="field-label">Password</span>
              <input name="password" type="password" autocomplete="current-password" required />
            </label>
            <button type="submit" class="button primary" disabled={busy}>
              {busy ? "Signing in…" : "Sign in"}
            </button>
          </form>
        ) : (
          <form onSubmit={tokenSignIn} aria-label="Sign in with an API token" aria-describedby="signin-help" class="signin-form">
            <label class="field wide">
              <span class="field-label">API token</span>
              <input name="token" type="password" autocomplete="off" required autofocus spellcheck={false} />
            </label>
            <p id="signin-help" class="hint">
              An API token (<code>rwk_…</code>) or the platform's admin token (<code>admin-token</code> in its data directory). It is kept in
              this tab only, until you close it or sign out.
            </p>
            <button type="submit" class="button primary" disabled={busy}>
              {busy ? "Checking…" : "Sign in with the token"}
            </button>
          </form>
        )}
        <button
          type="button"
          class="button subtle"
          onClick={() => {
            setUseToken(!useToken);
            setError(null);
          }}
        >
          {useToken ? "Sign in with a username and password" : "Use an API token instead"}
        </button>
      </div>
    </main>
  );
}
