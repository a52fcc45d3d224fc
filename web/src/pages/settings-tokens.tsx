import { useState } from "preact/hooks";
import { CopyField } from "../components/copy";
import { useApi } from "../api";
import { Badge } from "../components/badges";
import { Clip } from "../components/link";
import { Empty, ErrorBox, Loading } from "../components/states";
import { type Column, DataTable } from "../components/table";
import { type CreateRegistrationTokenResponse, type RegistrationToken, RegistrationTokenState } from "../gen/runwatch/v1/admin_pb";
import { ago, dateTime, enumLabel } from "../format";
import { useQuery } from "../hooks";

const DEFAULT_TTL_DAYS = 365;
const TTLS = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: 730, label: "2 years" },
];

// installCommand is the Helm command that installs the agents of one
// cluster with its registration token (deployments/helm/runwatch).
export function installCommand(platformUrl: string, cluster: string, token: string): string {
  return [
    "helm upgrade --install runwatch ./deployments/helm/runwatch \\",
    "  --namespace runwatch --create-namespace \\",
    `  --set platform.url=${platformUrl} \\`,
    `  --set clusterName=${cluster} \\`,
    `  --set platform.token=${token}`,
  ].join("\n");
}

export function RegistrationTokens() {
  const api = useApi();
  const tokens = useQuery("tokens", (signal) => api.admin.listRegistrationTokens({}, { signal }));
  const [created, setCreated] = useState<CreateRegistrationTokenResponse | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [ttlDays, setTtlDays] = useState(DEFAULT_TTL_DAYS);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const get = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value.trim();
    setBusy(true);
    setCreateError(null);
    try {
      const days = ttlDays;
      const res = await api.admin.createRegistrationToken({
        clusterName: get("cluster"),
        description: get("description"),
        ttl: { seconds: BigInt(days * 86400) },
      });
      setCreated(res);
      f.reset();
      setTtlDays(DEFAULT_TTL_DAYS);
      tokens.reload();
    } catch (err) {
      setCreateError(err);
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (id: string) => {
    setRevokeError(null);
    try {
      await api.admin.revokeRegistrationToken({ id });
      setConfirm(null);
      tokens.reload();
    } catch (err) {
      setRevokeError(err);
    }
  };

  const cols: Column<RegistrationToken>[] = [
    { key: "cluster", label: "Cluster", render: (t) => <Clip text={t.clusterName} class="strong" /> },
    { key: "id", label: "Token id", render: (t) => <span class="mono">{t.id}</span> },
    { key: "description", label: "Description", class: "wide", render: (t) => <Clip text={t.description || "–"} /> },
    {
      key: "state",
      label: "State",
      render: (t) => (
        <Badge tone={t.state === RegistrationTokenState.ACTIVE ? "ok" : "muted"}>{enumLabel(RegistrationTokenState, t.state)}</Badge>
      ),
    },
    { key: "created", label: "Created", render: (t) => <span title={dateTime(t.createdAt)}>{ago(t.createdAt)}</span> },
    { key: "expires", label: "Expires", render: (t) => dateTime(t.expiresAt).slice(0, 10) },
    { key: "used", label: "Last used", render: (t) => <span title={dateTime(t.lastUsedAt)}>{ago(t.lastUsedAt)}</span> },
    {
      key: "actions",
      label: "Actions",
      render: (t) =>
        t.state !== RegistrationTokenState.ACTIVE ? (
          <span class="muted">–</span>
        ) : confirm === t.id ? (
          <span class="confirm" role="group" aria-label={`Confirm revoking token ${t.id}`}>
            <button type="button" class="button danger" onClick={() => revoke(t.id)}>
              Revoke now
            </button>
            <button type="button" class="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </span>
        ) : (
          <button type="button" class="button" onClick={() => setConfirm(t.id)} aria-label={`Revoke token ${t.id} of ${t.clusterName}`}>
            Revoke
          </button>
        ),
    },
  ];

  return (
    <>
      <section class="card" aria-labelledby="tok-h">
        <h2 id="tok-h">Registration tokens</h2>
        <p class="hint">
          A registration token lets one cluster's controller and sensors report to this platform, and nothing else. It is shown once.
        </p>
        <form class="filters" onSubmit={create} aria-label="Create a registration token">
          <label class="field">
            <span class="field-label">Cluster name</span>
            <input name="cluster" required maxLength={63} pattern="[a-z0-9]([\-a-z0-9.]*[a-z0-9])?" placeholder="prod-eu" spellcheck={false} title="Lower-case letters, digits, '-' and '.'" />
          </label>
          <label class="field wide">
            <span class="field-label">Description</span>
            <input name="description" maxLength={200} placeholder="who or what it is for" />
          </label>
          <label class="field">
            <span class="field-label">Valid for</span>
            <select name="ttl" value={String(ttlDays)} onChange={(e) => setTtlDays(Number((e.currentTarget as HTMLSelectElement).value))}>
              {TTLS.map((t) => (
                <option key={t.days} value={String(t.days)}>
                  {t.label}
                </option>
              ))}
            </select>
          </label>
          <div class="filter-actions">
            <button type="submit" class="button primary" disabled={busy}>
              {busy ? "Creating…" : "Create token"}
            </button>
          </div>
        </form>
        {createError ? <ErrorBox error={createError} /> : null}
        {created && <CreatedToken res={created} onDone={() => setCreated(null)} />}
        {revokeError ? <ErrorBox error={revokeError} /> : null}
        {tokens.status === "error" && <ErrorBox error={tokens.error} retry={tokens.reload} />}
        {!tokens.data && tokens.status === "loading" && <Loading label="Loading tokens" rows={3} />}
        {tokens.data && tokens.data.registrationTokens.length === 0 && (
          <Empty title="No registration tokens yet">Create one for each cluster you want to watch.</Empty>
        )}
        {tokens.data && tokens.data.registrationTokens.length > 0 && (
          <DataTable caption="Registration tokens" columns={cols} rows={tokens.data.registrationTokens} rowKey={(t) => t.id} busy={tokens.status === "loading"} />
        )}
      </section>
    </>
  );
}

function CreatedToken({ res, onDone }: { res: CreateRegistrationTokenResponse; onDone: () => void }) {
  const cluster = res.registrationToken?.clusterName ?? "";
  const cmd = installCommand(window.location.origin, cluster, res.token);
  return (
    <div class="created" role="region" aria-label="New registration token">
      <p class="created-title">
        Token for <strong>{cluster}</strong> created. Copy it now: it is not shown again.
      </p>
      <CopyField label="Token" value={res.token} testId="new-token" />
      <CopyField label="Install the agents with Helm" value={cmd} multiline />
      <button type="button" class="button" onClick={onDone}>
        Done
      </button>
    </div>
  );
}
