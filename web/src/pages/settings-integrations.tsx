// Registries (trusted or not), the vulnerability scanner, and webhooks.
import { useState } from "preact/hooks";
import { useApi } from "../api";
import { Badge } from "../components/badges";
import { Clip } from "../components/link";
import { RISK_LABELS, RISK_ORDER } from "../components/risk";
import { Empty, ErrorBox, Loading } from "../components/states";
import { type Column, DataTable } from "../components/table";
import { type Integration, IntegrationKind, RiskKind, type Webhook, WebhookFormat } from "../gen/runwatch/v1/enrichment_pb";
import { ago, dateTime, num } from "../format";
import { useQuery } from "../hooks";

const KIND_LABEL: Record<IntegrationKind, string> = {
  [IntegrationKind.UNSPECIFIED]: "unknown",
  [IntegrationKind.OCI]: "OCI registry",
  [IntegrationKind.ARTIFACTORY]: "JFrog Artifactory",
  [IntegrationKind.XRAY]: "JFrog Xray",
};

function useAction() {
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

export function Integrations() {
  const api = useApi();
  const list = useQuery("integrations", (signal) => api.admin.listIntegrations({}, { signal }));
  const sources = useQuery("vuln-sources", (signal) => api.inventory.listVulnerabilitySources({}, { signal }));
  const [kind, setKind] = useState<IntegrationKind>(IntegrationKind.OCI);
  const [trusted, setTrusted] = useState(true);
  const put = useAction();
  const del = useAction();

  const submit = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const get = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value.trim();
    return put.run(async () => {
      await api.admin.putIntegration({ name: get("name"), kind, url: get("url"), username: get("username"), secret: get("secret"), trusted: kind !== IntegrationKind.XRAY && trusted });
      f.reset();
      list.reload();
    });
  };

  const cols: Column<Integration>[] = [
    { key: "name", label: "Name", render: (i) => <Clip text={i.name} class="strong" /> },
    { key: "kind", label: "Kind", render: (i) => KIND_LABEL[i.kind] },
    { key: "url", label: "URL", class: "wide", render: (i) => <Clip text={i.url} class="mono" /> },
    { key: "trusted", label: "Trusted", render: (i) => (i.kind === IntegrationKind.XRAY ? <span class="muted">–</span> : i.trusted ? <Badge tone="ok">trusted</Badge> : <Badge tone="muted">not trusted</Badge>) },
    {
      key: "auth",
      label: "Credentials",
      render: (i) =>
        i.secretError ? (
          <SecretError who={i.username || "token"} error={i.secretError} />
        ) : i.hasSecret ? (
          `${i.username || "token"} · secret set`
        ) : (
          i.username || "none"
        ),
    },
    { key: "updated", label: "Updated", render: (i) => <span title={dateTime(i.updatedAt)}>{ago(i.updatedAt)}</span> },
    {
      key: "actions",
      label: "Actions",
      render: (i) => (
        <button type="button" class="button" aria-label={`Delete integration ${i.name}`} onClick={() => del.run(async () => {
          await api.admin.deleteIntegration({ name: i.name });
          list.reload();
        })}>
          Delete
        </button>
      ),
    },
  ];

  const trustedRegistries = list.data?.integrations.filter((i) => i.trusted && i.kind !== IntegrationKind.XRAY) ?? [];
  return (
    <>
      <section class="card" aria-labelledby="int-h">
        <h2 id="int-h">Integrations</h2>
        <p class="hint">
          Registries are asked whether they hold the digests that run (trust and integrity) and give the image contents (vulnerabilities). A
          trusted registry makes the images it holds trusted. Secrets are write-only: they never come back out.
        </p>
        <form class="filters" onSubmit={submit} aria-label="Add or change an integration">
          <label class="field">
            <span class="field-label">Name</span>
            <input name="name" required maxLength={63} placeholder="company-registry" spellcheck={false} />
          </label>
          <label class="field">
            <span class="field-label">Kind</span>
            <select value={String(kind)} onChange={(e) => setKind(Number((e.currentTarget as HTMLSelectElement).value))}>
              {[IntegrationKind.OCI, IntegrationKind.ARTIFACTORY, IntegrationKind.XRAY].map((k) => (
                <option key={k} value={String(k)}>
                  {KIND_LABEL[k]}
                </option>
              ))}
            </select>
          </label>
          <label class="field wide">
            <span class="field-label">URL</span>
            <input name="url" type="url" required placeholder="https://registry.example.com" spellcheck={false} />
          </label>
          <label class="field">
            <span class="field-label">Username</span>
            <input name="username" autocomplete="off" spellcheck={false} />
          </label>
          <label class="field">
            <span class="field-label">Secret</span>
            <input name="secret" type="password" autocomplete="new-password" placeholder="token or password" />
          </label>
          {kind !== IntegrationKind.XRAY && (
            <label class="check">
              <input type="checkbox" checked={trusted} onChange={(e) => setTrusted((e.currentTarget as HTMLInputElement).checked)} />
              Trusted
            </label>
          )}
          <div class="filter-actions">
            <button type="submit" class="button primary" disabled={put.busy}>
              {put.busy ? "Saving…" : "Save integration"}
            </button>
          </div>
        </form>
        {put.error ? <ErrorBox error={put.error} /> : null}
        {del.error ? <ErrorBox error={del.error} /> : null}
        {list.status === "error" && <ErrorBox error={list.error} retry={list.reload} />}
        {!list.data && list.status === "loading" && <Loading label="Loading integrations" rows={2} />}
        {list.data && list.data.integrations.length === 0 && (
          <Empty title="No integrations yet">Without a registry every image's trust is unknown; vulnerabilities need image contents from one.</Empty>
        )}
        {list.data && list.data.integrations.length > 0 && (
          <DataTable caption="Integrations" columns={cols} rows={list.data.integrations} rowKey={(i) => i.name} busy={list.status === "loading"} />
        )}
      </section>
      <section class="card" aria-labelledby="treg-h">
        <h2 id="treg-h">Trusted registries</h2>
        {list.data && trustedRegistries.length === 0 ? (
          <p class="muted">None: no image can be trusted. Mark a registry "Trusted" above.</p>
        ) : (
          <ul class="plain-list">
            {trustedRegistries.map((i) => (
              <li key={i.name}>
                <Badge tone="ok">trusted</Badge> <strong>{i.name}</strong> <span class="mono muted">{i.url}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" aria-labelledby="vsrc-h">
        <h2 id="vsrc-h">Vulnerability data</h2>
        {sources.status === "error" && <ErrorBox error={sources.error} retry={sources.reload} />}
        {sources.data && (
          <ul class="plain-list">
            {sources.data.sources.map((s) => (
              <li key={s.name}>
                <strong>{s.name}</strong>: {num(s.records)} records{s.malicious ? `, ${num(s.malicious)} malicious packages` : ""}
                {s.withdrawn ? `, ${num(s.withdrawn)} withdrawn` : ""}
                {s.rejected ? <span class="bad-text">, {num(s.rejected)} rejected</span> : null}
                {s.attribution && <span class="muted"> · {s.attribution}</span>}
              </li>
            ))}
            {sources.data.revision && <li class="muted">Revision {sources.data.revision}</li>}
          </ul>
        )}
      </section>
      <Webhooks />
    </>
  );
}

function Webhooks() {
  const api = useApi();
  const list = useQuery("webhooks", (signal) => api.admin.listWebhooks({}, { signal }));
  const [format, setFormat] = useState<WebhookFormat>(WebhookFormat.GENERIC);
  const [kinds, setKinds] = useState<Set<RiskKind>>(new Set());
  const put = useAction();
  const del = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const get = (n: string) => (f.elements.namedItem(n) as HTMLInputElement).value.trim();
    return put.run(async () => {
      await api.admin.putWebhook({ name: get("name"), url: get("url"), secret: get("secret"), format, kinds: [...kinds] });
      f.reset();
      setKinds(new Set());
      list.reload();
    });
  };
  const cols: Column<Webhook>[] = [
    { key: "name", label: "Name", render: (w) => <Clip text={w.name} class="strong" /> },
    { key: "url", label: "URL", class: "wide", render: (w) => <Clip text={w.url} class="mono" /> },
    { key: "format", label: "Format", render: (w) => WebhookFormat[w.format]?.toLowerCase() ?? "generic" },
    { key: "kinds", label: "Risks sent", render: (w) => (w.kinds.length ? w.kinds.map((k) => RISK_LABELS[k]).join(", ") : "all") },
    { key: "signed", label: "Signed", render: (w) => (w.secretError ? <SecretError who="" error={w.secretError} /> : w.hasSecret ? "yes" : "no") },
    {
      key: "actions",
      label: "Actions",
      render: (w) => (
        <button type="button" class="button" aria-label={`Delete webhook ${w.name}`} onClick={() => del.run(async () => {
          await api.admin.deleteWebhook({ name: w.name });
          list.reload();
        })}>
          Delete
        </button>
      ),
    },
  ];
  return (
    <section class="card" aria-labelledby="wh-h">
      <h2 id="wh-h">Webhooks</h2>
      <p class="hint">New risks are posted once per webhook, retried with backoff, and signed with the secret (X-Runwatch-Signature).</p>
      <form class="filters" onSubmit={submit} aria-label="Add or change a webhook">
        <label class="field">
          <span class="field-label">Name</span>
          <input name="name" required maxLength={63} spellcheck={false} />
        </label>
        <label class="field wide">
          <span class="field-label">URL</span>
          <input name="url" type="url" required placeholder="https://hooks.slack.com/services/…" spellcheck={false} />
        </label>
        <label class="field">
          <span class="field-label">Format</span>
          <select value={String(format)} onChange={(e) => setFormat(Number((e.currentTarget as HTMLSelectElement).value))}>
            <option value={String(WebhookFormat.GENERIC)}>generic JSON</option>
            <option value={String(WebhookFormat.SLACK)}>Slack</option>
          </select>
        </label>
        <label class="field">
          <span class="field-label">Signing secret</span>
          <input name="secret" type="password" autocomplete="new-password" />
        </label>
        <fieldset class="kinds">
          <legend class="field-label">Risks to send (none ticked: all)</legend>
          {RISK_ORDER.map((k) => (
            <label key={k} class="check">
              <input
                type="checkbox"
                checked={kinds.has(k)}
                onChange={(e) => {
                  const n = new Set(kinds);
                  if ((e.currentTarget as HTMLInputElement).checked) n.add(k);
                  else n.delete(k);
                  setKinds(n);
                }}
              />
              {RISK_LABELS[k]}
            </label>
          ))}
        </fieldset>
        <div class="filter-actions">
          <button type="submit" class="button primary" disabled={put.busy}>
            Save webhook
          </button>
        </div>
      </form>
      {put.error ? <ErrorBox error={put.error} /> : null}
      {del.error ? <ErrorBox error={del.error} /> : null}
      {list.status === "error" && <ErrorBox error={list.error} retry={list.reload} />}
      {list.data && list.data.webhooks.length === 0 && <p class="muted">No webhooks.</p>}
      {list.data && list.data.webhooks.length > 0 && <DataTable caption="Webhooks" columns={cols} rows={list.data.webhooks} rowKey={(w) => w.name} />}
    </section>
  );
}

// SecretError: the stored secret does not open with the platform's key
// (sealed under another one); the integration or webhook waits until the
// key is right or the secret is put again.
function SecretError({ who, error }: { who: string; error: string }) {
  return (
    <span class="two-line">
      <span class="bad-text">{who ? `${who} · ` : ""}secret unreadable</span>
      <span class="muted small wrap">{error}</span>
    </span>
  );
}
