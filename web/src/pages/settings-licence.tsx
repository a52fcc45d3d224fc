// The licence and node entitlement, and the audit log.
import { useState } from "preact/hooks";
import { useApi } from "../api";
import { Badge } from "../components/badges";
import { FilterBar } from "../components/filters";
import { Clip, Link } from "../components/link";
import { Empty, ErrorBox, Loading } from "../components/states";
import { type Column, DataTable } from "../components/table";
import { type AuditEvent, type GetLicenseResponse, LicenseSource, type NodeEntitlement } from "../gen/runwatch/v1/admin_pb";
import { PrincipalKind } from "../gen/runwatch/v1/auth_pb";
import { ago, dateTime, enumLabel, isSet, num } from "../format";
import { useQuery } from "../hooks";
import { isAdmin, useMe } from "../me";
import { type Location, hrefWith, navigate } from "../router";

export function licenceSourceLabel(s: LicenseSource): string {
  switch (s) {
    case LicenseSource.LICENSE:
      return "licence";
    case LicenseSource.EXPIRED:
      return "licence expired: default entitlement";
    case LicenseSource.DEFAULT:
      return "no licence: default entitlement";
    default:
      return "unknown";
  }
}

// EntitlementMeter shows nodes in operation against the licensed number.
export function EntitlementMeter({ lic }: { lic: GetLicenseResponse }) {
  const limit = Number(lic.license?.sensorNodes ?? 0n);
  const used = Number(lic.nodesInOperation);
  const restricted = Number(lic.nodesRestricted);
  const licensed = lic.license?.sensorsLicensed ?? false;
  const pct = limit > 0 ? Math.min(100, (100 * used) / limit) : used > 0 ? 100 : 0;
  return (
    <div class="meter-wrap">
      <p class="kv">
        <span>Nodes with sensors in operation</span>
        <strong>
          {num(used)} of {licensed ? num(limit) : "0 (sensors not licensed)"}
        </strong>
      </p>
      <div
        class={restricted > 0 ? "meter over" : pct >= 90 ? "meter near" : "meter"}
        role="meter"
        aria-label="Sensor nodes used of the licence"
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={used}
        aria-valuetext={`${used} of ${limit} licensed nodes`}
      >
        <span style={{ width: `${pct}%` }} />
      </div>
      <p class="kv">
        <span>Nodes restricted (over the licence)</span>
        <strong class={restricted > 0 ? "bad-text" : undefined}>{num(restricted)}</strong>
      </p>
      <p class="kv">
        <span>Entitlement from</span>
        <span>{licenceSourceLabel(lic.license?.source ?? LicenseSource.UNSPECIFIED)}</span>
      </p>
    </div>
  );
}

export function Licence() {
  const api = useApi();
  const me = useMe();
  const lic = useQuery("licence", (signal) => api.admin.getLicense({}, { signal }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [applied, setApplied] = useState(false);

  const apply = async (e: Event) => {
    e.preventDefault();
    const f = e.currentTarget as HTMLFormElement;
    const text = (f.elements.namedItem("license") as HTMLTextAreaElement).value.trim();
    setBusy(true);
    setError(null);
    setApplied(false);
    try {
      await api.admin.applyLicense({ license: text });
      f.reset();
      setApplied(true);
      lic.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const nodeCols: Column<NodeEntitlement>[] = [
    { key: "node", label: "Node", class: "wide", render: (n) => <Clip text={n.nodeName} /> },
    {
      key: "cluster",
      label: "Cluster",
      render: (n) => <Link href={`/clusters?cluster=${encodeURIComponent(n.clusterName)}`}>{n.clusterName}</Link>,
    },
    { key: "since", label: "In operation since", render: (n) => <span title={dateTime(n.since)}>{ago(n.since)}</span> },
    {
      key: "state",
      label: "State",
      render: (n) => (n.restricted ? <Badge tone="bad" title={n.reason}>restricted</Badge> : <Badge tone="ok">entitled</Badge>),
    },
    { key: "reason", label: "Why", render: (n) => <Clip text={n.reason || "–"} /> },
  ];

  const l = lic.data?.license;
  return (
    <>
      <section class="card" aria-labelledby="lic-h">
        <h2 id="lic-h">Licence and node entitlement</h2>
        {lic.status === "error" && <ErrorBox error={lic.error} retry={lic.reload} />}
        {!lic.data && lic.status === "loading" && <Loading label="Loading the licence" rows={2} />}
        {lic.data && (
          <div class="grid2 flush">
            <dl class="details">
              <dt>Organisation</dt>
              <dd>{l?.organization || "–"}</dd>
              <dt>Licence id</dt>
              <dd class="mono">{l?.id || "–"}</dd>
              <dt>Issued</dt>
              <dd>{isSet(l?.issuedAt) ? dateTime(l?.issuedAt) : "–"}</dd>
              <dt>Expires</dt>
              <dd>{isSet(l?.expiresAt) ? dateTime(l?.expiresAt) : "–"}</dd>
              <dt>Sensors licensed</dt>
              <dd>{l?.sensorsLicensed ? `yes, on up to ${num(l.sensorNodes)} nodes` : "no"}</dd>
            </dl>
            <EntitlementMeter lic={lic.data} />
          </div>
        )}
        {isAdmin(me) && (
          <form class="license-form" onSubmit={apply} aria-label="Apply a licence">
            <label class="field wide">
              <span class="field-label">Licence</span>
              <textarea name="license" rows={3} required spellcheck={false} placeholder="rwl1.…" class="mono" />
            </label>
            <button type="submit" class="button primary" disabled={busy}>
              {busy ? "Checking…" : "Apply licence"}
            </button>
          </form>
        )}
        {error ? <ErrorBox error={error} /> : null}
        {applied && (
          <p role="status" class="ok-text">
            Licence applied.
          </p>
        )}
      </section>
      {lic.data && (
        <section class="section" aria-labelledby="ent-nodes-h">
          <h2 id="ent-nodes-h">Nodes in operation</h2>
          {lic.data.nodes.length === 0 ? (
            <Empty title="No sensor is in operation" />
          ) : (
            <DataTable caption="Nodes in operation" columns={nodeCols} rows={lic.data.nodes} rowKey={(n) => `${n.clusterId}/${n.nodeName}`} />
          )}
        </section>
      )}
    </>
  );
}

const AUDIT_PAGE = 50;

export function AuditLog({ loc }: { loc: Location }) {
  const api = useApi();
  const text = loc.params.get("text") ?? "";
  const token = loc.params.get("page") ?? "";
  const q = useQuery(`audit?${text}&${token}`, (signal) => api.admin.listAuditEvents({ text, pageSize: AUDIT_PAGE, pageToken: token }, { signal }));
  const cols: Column<AuditEvent>[] = [
    { key: "at", label: "When", render: (e) => <span title={dateTime(e.at)}>{dateTime(e.at)}</span> },
    { key: "actor", label: "Who", render: (e) => <Clip text={`${e.actor}${e.actorKind === PrincipalKind.UNSPECIFIED ? "" : ` (${enumLabel(PrincipalKind, e.actorKind)})`}`} /> },
    { key: "action", label: "What", render: (e) => <Clip text={e.action.replace(/^\/runwatch\.v1\./, "")} class="mono" /> },
    { key: "result", label: "Result", render: (e) => <Badge tone={e.result === "ok" ? "ok" : "bad"}>{e.result}</Badge> },
    { key: "detail", label: "Detail", class: "wide", render: (e) => <Clip text={e.detail || "–"} class="mono" /> },
    { key: "from", label: "From", render: (e) => <span class="mono">{e.remoteAddr}</span> },
  ];
  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit log</h2>
      <FilterBar loc={loc} fields={[{ key: "text", label: "Who or what", placeholder: "admin, CreateUser", wide: true }]} />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading the audit log" />}
      {q.data && q.data.events.length === 0 && <Empty title="No audit events match" />}
      {q.data && q.data.events.length > 0 && (
        <>
          <DataTable caption="Audit events" columns={cols} rows={q.data.events} rowKey={(e) => String(e.id)} busy={q.status === "loading"} />
          <nav class="pager" aria-label="Pages of audit events">
            <span class="pager-info">{q.data.events.length} events, newest first</span>
            <button type="button" class="button" disabled={!token} onClick={() => navigate(hrefWith(loc, { page: undefined }))}>
              Newest
            </button>
            <button type="button" class="button" disabled={!q.data.nextPageToken} onClick={() => navigate(hrefWith(loc, { page: q.data!.nextPageToken }))}>
              Older
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
