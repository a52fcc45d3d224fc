// People and their API tokens.
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { useState } from "preact/hooks";
import { useApi } from "../api";
import { Badge } from "../components/badges";
import { CopyField } from "../components/copy";
import { Clip } from "../components/link";
import { Empty, ErrorBox, Loading } from "../components/states";
import { type Column, DataTable } from "../components/table";
import type { APIToken, CreateAPITokenResponse } from "../gen/runwatch/v1/admin_pb";
import { Role, type User } from "../gen/runwatch/v1/auth_pb";
import { ago, dateTime, enumLabel, isSet } from "../format";
import { useQuery } from "../hooks";
import { isAdmin, useMe } from "../me";

const TOKEN_TTLS = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: 730, label: "2 years" },
];

function roleLabel(r: Role) {
  return enumLabel(Role, r);
}

// Busy is the state of one form: submitting, and its last error.
function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function APITokens() {
  const api = useApi();
  const me = useMe();
  const tokens = useQuery("api-tokens", (signal) => api.admin.listAPITokens({}, { signal }));
  const [created, setCreated] = useState<CreateAPITokenResponse | null>(null);
  const [ttl, setTtl] = useState(90);
  const [role, setRole] = useState<Role>(Role.VIEWER);
  const form = useSubmit();
  const revoke = useSubmit();

  const create = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const name = (f.elements.namedItem("name") as HTMLInputElement).value.trim();
    return form.run(async () => {
      setCreated(await api.admin.createAPIToken({ name, role, ttl: { seconds: BigInt(ttl * 86400) } }));
      f.reset();
      tokens.reload();
    });
  };

  const cols: Column<APIToken>[] = [
    { key: "name", label: "Name", class: "wide", render: (t) => <Clip text={t.name} class="strong" /> },
    { key: "id", label: "Id", render: (t) => <span class="mono">{t.id}</span> },
    { key: "owner", label: "Owner", render: (t) => t.username },
    { key: "role", label: "Role", render: (t) => roleLabel(t.role) },
    { key: "state", label: "State", render: (t) => <TokenState revoked={isSet(t.revokedAt)} expiresAt={t.expiresAt} /> },
    { key: "used", label: "Last used", render: (t) => <span title={dateTime(t.lastUsedAt)}>{ago(t.lastUsedAt)}</span> },
    { key: "expires", label: "Expires", render: (t) => dateTime(t.expiresAt).slice(0, 10) },
    {
      key: "actions",
      label: "Actions",
      render: (t) =>
        isSet(t.revokedAt) ? (
          <span class="muted">–</span>
        ) : (
          <button type="button" class="button" aria-label={`Revoke API token ${t.name}`} onClick={() => revoke.run(async () => {
            await api.admin.revokeAPIToken({ id: t.id });
            tokens.reload();
          })}>
            Revoke
          </button>
        ),
    },
  ];

  return (
    <section class="card" aria-labelledby="api-h">
      <h2 id="api-h">API tokens</h2>
      <p class="hint">For scripts, dashboards and runwatchctl. A token acts with its role, never more than its owner's. {isAdmin(me) ? "Admins see everyone's tokens." : "You see your own tokens."}</p>
      <form class="filters" onSubmit={create} aria-label="Create an API token">
        <label class="field wide">
          <span class="field-label">Name</span>
          <input name="name" required maxLength={100} placeholder="grafana, ci-pipeline" />
        </label>
        <label class="field">
          <span class="field-label">Role</span>
          <select value={String(role)} onChange={(e) => setRole(Number((e.currentTarget as HTMLSelectElement).value))}>
            <option value={String(Role.VIEWER)}>viewer</option>
            {isAdmin(me) && <option value={String(Role.ADMIN)}>admin</option>}
          </select>
        </label>
        <label class="field">
          <span class="field-label">Valid for</span>
          <select value={String(ttl)} onChange={(e) => setTtl(Number((e.currentTarget as HTMLSelectElement).value))}>
            {TOKEN_TTLS.map((t) => (
              <option key={t.days} value={String(t.days)}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit" class="button primary" disabled={form.busy}>
            {form.busy ? "Creating…" : "Create API token"}
          </button>
        </div>
      </form>
      {form.error ? <ErrorBox error={form.error} /> : null}
      {created && (
        <div class="created" role="region" aria-label="New API token">
          <p class="created-title">
            API token <strong>{created.apiToken?.name}</strong> created. Copy it now: it is not shown again.
          </p>
          <CopyField label="Token" value={created.token} testId="new-api-token" />
          <CopyField label="Use it with runwatchctl" value={`RUNWATCH_SERVER=${window.location.origin} RUNWATCH_API_TOKEN=${created.token} runwatchctl overview`} multiline />
          <button type="button" class="button" onClick={() => setCreated(null)}>
            Done
          </button>
        </div>
      )}
      {revoke.error ? <ErrorBox error={revoke.error} /> : null}
      {tokens.status === "error" && <ErrorBox error={tokens.error} retry={tokens.reload} />}
      {!tokens.data && tokens.status === "loading" && <Loading label="Loading API tokens" rows={2} />}
      {tokens.data && tokens.data.apiTokens.length === 0 && <Empty title="No API tokens yet" />}
      {tokens.data && tokens.data.apiTokens.length > 0 && (
        <DataTable caption="API tokens" columns={cols} rows={tokens.data.apiTokens} rowKey={(t) => t.id} busy={tokens.status === "loading"} />
      )}
    </section>
  );
}

function TokenState({ revoked, expiresAt }: { revoked: boolean; expiresAt?: Timestamp }) {
  if (revoked) return <Badge tone="muted">revoked</Badge>;
  if (isSet(expiresAt) && timestampDate(expiresAt) < new Date()) return <Badge tone="muted">expired</Badge>;
  return <Badge tone="ok">active</Badge>;
}

export function Users() {
  const api = useApi();
  const users = useQuery("users", (signal) => api.admin.listUsers({}, { signal }));
  const [role, setRole] = useState<Role>(Role.VIEWER);
  const form = useSubmit();
  const change = useSubmit();

  const create = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const get = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    return form.run(async () => {
      await api.admin.createUser({ username: get("username").trim(), password: get("password"), role });
      f.reset();
      users.reload();
    });
  };
  const update = (u: User, patch: { role?: Role; disabled?: boolean }) =>
    change.run(async () => {
      await api.admin.updateUser({ id: u.id, ...patch });
      users.reload();
    });

  const cols: Column<User>[] = [
    { key: "name", label: "Username", class: "wide", render: (u) => <Clip text={u.username} class="strong" /> },
    { key: "role", label: "Role", render: (u) => roleLabel(u.role) },
    { key: "state", label: "State", render: (u) => (isSet(u.disabledAt) ? <Badge tone="muted">disabled</Badge> : <Badge tone="ok">enabled</Badge>) },
    { key: "login", label: "Last sign-in", render: (u) => <span title={dateTime(u.lastLoginAt)}>{ago(u.lastLoginAt)}</span> },
    { key: "created", label: "Created", render: (u) => dateTime(u.createdAt).slice(0, 10) },
    {
      key: "actions",
      label: "Actions",
      render: (u) => (
        <span class="confirm">
          <button type="button" class="button" aria-label={`${u.role === Role.ADMIN ? "Make viewer" : "Make admin"}: ${u.username}`} onClick={() => update(u, { role: u.role === Role.ADMIN ? Role.VIEWER : Role.ADMIN })}>
            {u.role === Role.ADMIN ? "Make viewer" : "Make admin"}
          </button>
          <button type="button" class="button" aria-label={`${isSet(u.disabledAt) ? "Enable" : "Disable"}: ${u.username}`} onClick={() => update(u, { disabled: !isSet(u.disabledAt) })}>
            {isSet(u.disabledAt) ? "Enable" : "Disable"}
          </button>
        </span>
      ),
    },
  ];

  return (
    <section class="card" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <p class="hint">Viewers read everything; admins also change settings, tokens and users. Disabling a user ends their sessions and API tokens at once.</p>
      <form class="filters" onSubmit={create} aria-label="Create a user">
        <label class="field">
          <span class="field-label">Username</span>
          <input name="username" required minLength={3} maxLength={64} pattern="[a-z0-9._\-]+" autocomplete="off" spellcheck={false} title="Lower-case letters, digits, '.', '_' and '-'" />
        </label>
        <label class="field">
          <span class="field-label">Password</span>
          <input name="password" type="password" required minLength={12} autocomplete="new-password" title="At least 12 characters" />
        </label>
        <label class="field">
          <span class="field-label">Role</span>
          <select value={String(role)} onChange={(e) => setRole(Number((e.currentTarget as HTMLSelectElement).value))}>
            <option value={String(Role.VIEWER)}>viewer</option>
            <option value={String(Role.ADMIN)}>admin</option>
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit" class="button primary" disabled={form.busy}>
            {form.busy ? "Creating…" : "Create user"}
          </button>
        </div>
      </form>
      {form.error ? <ErrorBox error={form.error} /> : null}
      {change.error ? <ErrorBox error={change.error} /> : null}
      {users.status === "error" && <ErrorBox error={users.error} retry={users.reload} />}
      {!users.data && users.status === "loading" && <Loading label="Loading users" rows={2} />}
      {users.data && users.data.users.length > 0 && (
        <DataTable caption="Users" columns={cols} rows={users.data.users} rowKey={(u) => u.id} busy={users.status === "loading"} />
      )}
    </section>
  );
}

export function ChangePassword() {
  const api = useApi();
  const form = useSubmit();
  const [done, setDone] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const get = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value;
    setDone(false);
    return form.run(async () => {
      if (get("new") !== get("again")) throw new Error("The new passwords differ.");
      await api.auth.changePassword({ currentPassword: get("current"), newPassword: get("new") });
      f.reset();
      setDone(true);
    });
  };
  return (
    <section class="card" aria-labelledby="pw-h">
      <h2 id="pw-h">Change your password</h2>
      <p class="hint">Your other sessions end when it changes.</p>
      <form class="filters" onSubmit={submit} aria-label="Change your password">
        <label class="field">
          <span class="field-label">Current password</span>
          <input name="current" type="password" required autocomplete="current-password" />
        </label>
        <label class="field">
          <span class="field-label">New password</span>
          <input name="new" type="password" required minLength={12} autocomplete="new-password" />
        </label>
        <label class="field">
          <span class="field-label">New password, again</span>
          <input name="again" type="password" required minLength={12} autocomplete="new-password" />
        </label>
        <div class="filter-actions">
          <button type="submit" class="button primary" disabled={form.busy}>
            Change password
          </button>
        </div>
      </form>
      {form.error ? <ErrorBox error={form.error} /> : null}
      {done && (
        <p role="status" class="ok-text">
          Password changed.
        </p>
      )}
    </section>
  );
}
