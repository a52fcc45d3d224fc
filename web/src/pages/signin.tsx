// SignIn asks for an API token. Today the platform knows one: the admin
// token (the platform prints where it keeps it at start-up). A login with
// users and a cookie will replace this page.
import { ConnectError } from "@connectrpc/connect";
import { useState } from "preact/hooks";
import { describeError, useApi } from "../api";

export function SignIn() {
  const api = useApi();
  const state = api.session.state();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const token = ((e.currentTarget as HTMLFormElement).elements.namedItem("token") as HTMLInputElement).value.trim();
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

  return (
    <main id="main" class="signin">
      <form class="signin-card" onSubmit={submit} aria-describedby="signin-help">
        <h1>
          <span class="logo" aria-hidden="true" /> Runwatch
        </h1>
        {state.kind === "rejected" && !error && (
          <div class="error-box" role="alert">
            <p class="error-title">Your token was refused: it is expired, revoked or wrong.</p>
            <p class="error-detail">The platform said: {state.reason || "unauthenticated"}. Sign in again with a valid token.</p>
          </div>
        )}
        {error ? (
          <div class="error-box" role="alert">
            <p class="error-title">{describeError(error).title === "Signed out" ? "That token was refused: it is expired or wrong." : describeError(error).title}</p>
            <p class="error-detail">{describeError(error).detail}</p>
          </div>
        ) : null}
        <label class="field wide">
          <span class="field-label">API token</span>
          <input name="token" type="password" autocomplete="current-password" required autofocus spellcheck={false} />
        </label>
        <p id="signin-help" class="hint">
          The admin token is in <code>admin-token</code> in the platform's data directory, or in <code>RUNWATCH_ADMIN_TOKEN</code>. It is
          kept in this tab only, until you close it or sign out.
        </p>
        <button type="submit" class="button primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
