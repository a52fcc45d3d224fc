// Vulnerabilities: the funnel and the list, most severe first, filterable
// by CVE, severity, component and applicability; and the components
// loaded at runtime that applicability is decided on.
import { useApi } from "../api";
import { FilterBar } from "../components/filters";
import { Clip, Link } from "../components/link";
import { Pager } from "../components/pager";
import { ApplicabilityBadge, SeverityBadge, VulnFunnel } from "../components/risk";
import { fileColumns, fileKey } from "../components/runtime";
import { Empty, ErrorBox, Loading } from "../components/states";
import { type Column, DataTable } from "../components/table";
import { Applicability, Severity, type Vulnerability } from "../gen/runwatch/v1/enrichment_pb";
import { FileKind } from "../gen/runwatch/v1/runtime_types_pb";
import { dateTime, num, plural, shortDigest } from "../format";
import { useQuery } from "../hooks";
import { filterFromParams, pageFromParams, queryKey } from "../query";
import { type Location, setParams } from "../router";
import { openRows, toggleRow } from "./common";

export const SEVERITIES: { key: string; label: string; value: Severity }[] = [
  { key: "", label: "Any severity", value: Severity.UNSPECIFIED },
  { key: "low", label: "Low and above", value: Severity.LOW },
  { key: "medium", label: "Medium and above", value: Severity.MEDIUM },
  { key: "high", label: "High and above", value: Severity.HIGH },
  { key: "critical", label: "Critical", value: Severity.CRITICAL },
];

export const APPLICABILITIES: { key: string; label: string; value: Applicability }[] = [
  { key: "", label: "Any", value: Applicability.UNSPECIFIED },
  { key: "applicable", label: "Applicable (loaded)", value: Applicability.APPLICABLE },
  { key: "not-applicable", label: "Not applicable", value: Applicability.NOT_APPLICABLE },
  { key: "unknown", label: "Unknown (no runtime yet)", value: Applicability.UNKNOWN },
];

export const vulnKey = (v: Vulnerability) => `${v.id}/${v.imageDigest}/${v.component}`;

export function vulnColumns(opts: { image?: boolean } = {}): Column<Vulnerability>[] {
  const cols: Column<Vulnerability>[] = [
    {
      key: "id",
      label: "Vulnerability",
      render: (v) => (
        <span class="two-line">
          <span class="strong mono">{v.id}</span>
          {v.aliases.length > 0 && <span class="muted small">{v.aliases.slice(0, 2).join(", ")}</span>}
        </span>
      ),
    },
    {
      key: "severity",
      label: "Severity",
      render: (v) => (
        <>
          <SeverityBadge severity={v.severity} score={v.cvssScore} />
          {v.malicious && <span class="badge bad">malicious</span>}
        </>
      ),
    },
    { key: "component", label: "Component", class: "wide", render: (v) => <Clip text={v.component} class="mono" /> },
    {
      key: "fix",
      label: "Fixed in",
      render: (v) => (v.fixedVersions.length ? <Clip text={v.fixedVersions.join(", ")} class="mono" /> : <span class="muted">no fix</span>),
    },
    {
      key: "applicability",
      label: "Applicability",
      render: (v) => (
        <ApplicabilityBadge a={v.applicability} title={v.evidence?.path ? `Loaded: ${v.evidence.path} (${v.evidence.matchedBy})` : undefined} />
      ),
    },
  ];
  if (opts.image !== false)
    cols.push({
      key: "image",
      label: "Image",
      render: (v) => (
        <Link href={`/images/${encodeURIComponent(v.imageDigest)}?tab=vulnerabilities`} class="mono" title={v.imageDigest}>
          {shortDigest(v.imageDigest)}
        </Link>
      ),
    });
  cols.push({ key: "summary", label: "Summary", class: "wide", render: (v) => <Clip text={v.summary || "–"} /> });
  return cols;
}

export function VulnDetails({ v }: { v: Vulnerability }) {
  return (
    <dl class="details">
      <dt>Summary</dt>
      <dd class="wrap">{v.summary || "–"}</dd>
      <dt>Aliases</dt>
      <dd class="mono wrap">{v.aliases.join(", ") || "–"}</dd>
      <dt>Component</dt>
      <dd class="mono wrap">{v.component}</dd>
      <dt>Fixed in</dt>
      <dd class="mono wrap">{v.fixedVersions.join(", ") || "no fixed version"}</dd>
      <dt>Runtime evidence</dt>
      <dd class="wrap">
        {v.evidence?.path ? (
          <>
            <span class="mono">{v.evidence.path}</span> loaded ({v.evidence.matchedBy}), {dateTime(v.evidence.firstSeen)} → {dateTime(v.evidence.lastSeen)}
          </>
        ) : v.applicability === Applicability.NOT_APPLICABLE ? (
          "the image ran and none of this component's files were loaded"
        ) : (
          "no runtime report of this image yet"
        )}
      </dd>
      <dt>Source</dt>
      <dd>{v.source || "–"}</dd>
    </dl>
  );
}

export function Vulnerabilities({ loc }: { loc: Location }) {
  const api = useApi();
  const p = loc.params;
  const severity = SEVERITIES.find((s) => s.key === (p.get("severity") ?? "")) ?? SEVERITIES[0];
  const appl = APPLICABILITIES.find((a) => a.key === (p.get("applicability") ?? "")) ?? APPLICABILITIES[0];
  const fixOnly = p.get("fix") === "1";
  const q = useQuery(queryKey("vulns", p, ["id", "severity", "component", "applicability", "fix"]), (signal) =>
    api.inventory.listVulnerabilities(
      {
        filter: {
          cluster: p.get("cluster")?.trim() ?? "",
          workload: p.get("workload")?.trim() ?? "",
          image: p.get("image")?.trim() ?? "",
          id: p.get("id")?.trim() ?? "",
          component: p.get("component")?.trim() ?? "",
          minSeverity: severity.value,
          applicability: appl.value,
          withFixOnly: fixOnly,
        },
        page: pageFromParams(p),
      },
      { signal },
    ),
  );
  return (
    <>
      <header class="page-head">
        <h1>Vulnerabilities</h1>
        <p class="lede">Which vulnerabilities are real: those of code that is actually loaded at runtime.</p>
      </header>
      <FilterBar
        loc={loc}
        fields={[
          { key: "id", label: "CVE or id", placeholder: "CVE-2022-32149" },
          { key: "component", label: "Component", placeholder: "pkg:golang/golang.org/x/text", wide: true },
          { key: "image", label: "Image", placeholder: "digest" },
          { key: "workload", label: "Workload" },
          { key: "cluster", label: "Cluster" },
        ]}
        extra={
          <>
            <label class="field">
              <span class="field-label">Severity</span>
              <select value={severity.key} onChange={(e) => setParams(loc, { severity: (e.currentTarget as HTMLSelectElement).value || undefined })}>
                {SEVERITIES.map((s) => (
                  <option key={s.key} value={s.key}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
            <label class="field">
              <span class="field-label">Applicability</span>
              <select value={appl.key} onChange={(e) => setParams(loc, { applicability: (e.currentTarget as HTMLSelectElement).value || undefined })}>
                {APPLICABILITIES.map((a) => (
                  <option key={a.key} value={a.key}>
                    {a.label}
                  </option>
                ))}
              </select>
            </label>
            <label class="check">
              <input type="checkbox" checked={fixOnly} onChange={(e) => setParams(loc, { fix: (e.currentTarget as HTMLInputElement).checked ? "1" : undefined })} />
              With a fix only
            </label>
          </>
        }
      />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading vulnerabilities" />}
      {q.data && (
        <>
          <section class="card section" aria-labelledby="vf-h">
            <h2 id="vf-h">Funnel{p.get("cluster") || p.get("workload") || p.get("image") ? " of this scope" : ""}</h2>
            <VulnFunnel funnel={q.data.funnel} />
          </section>
          <section class="section" aria-labelledby="vl-h">
            <h2 id="vl-h">{plural(q.data.total, "vulnerability", "vulnerabilities")} match</h2>
            {q.data.vulnerabilities.length === 0 ? (
              <Empty title="No vulnerabilities match">
                {q.data.funnel?.all ? "Widen the filters." : "Vulnerabilities appear once images are catalogued and matched against vulnerability data."}
              </Empty>
            ) : (
              <>
                <p class="table-note">
                  Most severe first, across all pages. The platform lists vulnerabilities in this one order, so the columns do not sort; narrow the
                  list with the filters instead.
                </p>
                <DataTable
                  caption="Vulnerabilities"
                  columns={vulnColumns()}
                  rows={q.data.vulnerabilities}
                  rowKey={vulnKey}
                  busy={q.status === "loading"}
                  expand={{ label: (v) => `Details of ${v.id} in ${v.component}`, expanded: openRows(loc), onToggle: toggleRow(loc), render: (v) => <VulnDetails v={v} /> }}
                />
                <Pager loc={loc} shown={q.data.vulnerabilities.length} next={q.data.nextPageToken} noun="vulnerabilities" />
              </>
            )}
            {q.data.sources.length > 0 && (
              <p class="attribution">
                Vulnerability data:{" "}
                {q.data.sources.map((s, i) => (
                  <span key={s.name}>
                    {i > 0 && "; "}
                    {s.name} ({num(s.records)} records{s.attribution ? `, ${s.attribution}` : ""})
                  </span>
                ))}
              </p>
            )}
          </section>
        </>
      )}
      <LoadedComponents loc={loc} />
    </>
  );
}

const KINDS: { key: string; label: string; value: FileKind }[] = [
  { key: "", label: "Any kind", value: FileKind.UNSPECIFIED },
  { key: "executable", label: "Executables", value: FileKind.EXECUTABLE },
  { key: "library", label: "Shared libraries", value: FileKind.SHARED_LIBRARY },
  { key: "jar", label: "Java archives", value: FileKind.JAR },
  { key: "script", label: "Scripts", value: FileKind.SCRIPT },
  { key: "module", label: "Interpreted modules", value: FileKind.INTERPRETED_MODULE },
];

// LoadedComponents lists the files loaded into processes and their
// packages: the runtime evidence applicability is decided on (the first
// 50; its own parameters are purl, ftext, fkind and window).
function LoadedComponents({ loc }: { loc: Location }) {
  const api = useApi();
  const p = loc.params;
  const kind = KINDS.find((k) => k.key === (p.get("fkind") ?? "")) ?? KINDS[0];
  const purl = p.get("purl")?.trim() ?? "";
  const filter = { ...filterFromParams(new URLSearchParams({ text: p.get("ftext") ?? "", image: p.get("image") ?? "", window: p.get("window") ?? "" }), "24h") };
  const q = useQuery(`files?${kind.key}&${purl}&${p.get("ftext") ?? ""}&${p.get("image") ?? ""}&${p.get("window") ?? ""}`, (signal) =>
    api.inventory.listLoadedFiles({ filter, page: { size: 50 }, kind: kind.value, packagePurl: purl }, { signal }),
  );
  return (
    <section class="section" aria-labelledby="lc-h">
      <h2 id="lc-h">Components loaded at runtime</h2>
      <p class="table-note">Files loaded into processes and the packages they belong to, newest first.</p>
      <FilterBar
        loc={loc}
        label="Filters of loaded components"
        fields={[
          { key: "purl", label: "Package URL", placeholder: "pkg:deb/debian/openssl", wide: true },
          { key: "ftext", label: "Path", placeholder: "libssl" },
        ]}
        defaultWindow="24h"
        extra={
          <label class="field">
            <span class="field-label">Kind</span>
            <select value={kind.key} onChange={(e) => setParams(loc, { fkind: (e.currentTarget as HTMLSelectElement).value || undefined })}>
              {KINDS.map((k) => (
                <option key={k.key} value={k.key}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
        }
      />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading loaded files" />}
      {q.data && q.data.loadedFiles.length === 0 && <Empty title="No loaded files match">Loaded files appear when sensors report.</Empty>}
      {q.data && q.data.loadedFiles.length > 0 && (
        <DataTable caption="Loaded files" columns={fileColumns()} rows={q.data.loadedFiles} rowKey={fileKey} busy={q.status === "loading"} />
      )}
    </section>
  );
}
