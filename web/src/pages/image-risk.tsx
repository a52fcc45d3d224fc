// An image's trust, integrity evidence, risks and vulnerabilities.
import { useState } from "preact/hooks";
import { useApi } from "../api";
import { RiskChips, TrustBadge, VulnFunnel } from "../components/risk";
import { Empty, ErrorBox, Loading } from "../components/states";
import { Clip } from "../components/link";
import { type Column, DataTable } from "../components/table";
import { Applicability, EnrichmentStatus, type Funnel, type ImageEnrichment, type IntegrityViolation } from "../gen/runwatch/v1/enrichment_pb";
import { ago, dateTime, num } from "../format";
import { useQuery } from "../hooks";
import type { Location } from "../router";
import { openRows, toggleRow } from "./common";
import { VulnDetails, vulnColumns, vulnKey } from "./vulnerabilities";

const EVIDENCE_ROWS = 8;

const integrityCols: Column<IntegrityViolation>[] = [
  { key: "kind", label: "Kind", render: (v) => <span class="badge bad">{v.kind.replace(/_/g, " ")}</span> },
  {
    key: "what",
    label: "What",
    class: "wide",
    render: (v) => (
      <span class="two-line">
        <Clip text={v.reference} class="mono" />
        <span class="muted small">{v.detail}</span>
      </span>
    ),
  },
  {
    key: "evidence",
    label: "Expected → actual",
    render: (v) => (
      <span class="two-line mono small">
        <Clip text={v.expected || "–"} />
        <Clip text={`→ ${v.actual || "–"}`} />
      </span>
    ),
  },
  { key: "seen", label: "Observed", render: (v) => <span title={dateTime(v.observedAt)}>{ago(v.observedAt)}</span> },
];

export function TrustCard({ e }: { e?: ImageEnrichment }) {
  if (!e) return <p class="muted">Not checked yet: the platform checks each new image against the configured registries.</p>;
  return (
    <>
      <dl class="details">
        <dt>Trust</dt>
        <dd>
          <TrustBadge trust={e.trust} status={e.status} /> <span class="wrap">{e.trustReason}</span>
        </dd>
        <dt>Registry</dt>
        <dd class="wrap">{e.registry?.path || e.registry?.repository || "not found in a configured registry"}</dd>
        <dt>Checked</dt>
        <dd>
          {e.status === EnrichmentStatus.PENDING ? "being checked" : dateTime(e.checkedAt)}
          {e.lastError && <span class="bad-text"> · {e.lastError}</span>}
        </dd>
        <dt>Contents</dt>
        <dd>
          {num(e.components)} components{e.distro ? ` · ${e.distro}` : ""}
        </dd>
        <dt>Risks</dt>
        <dd>
          <RiskChips risks={e.risks} />
        </dd>
      </dl>
      {e.integrityViolations.length > 0 && (
        <div class="integrity" role="region" aria-label="Integrity evidence">
          <h3>Integrity evidence</h3>
          <DataTable
            caption="Integrity evidence"
            columns={integrityCols}
            rows={e.integrityViolations.slice(0, EVIDENCE_ROWS)}
            rowKey={(v) => `${v.kind}/${v.reference}/${v.actual}`}
          />
          {e.integrityViolations.length > EVIDENCE_ROWS && (
            <p class="table-note">and {e.integrityViolations.length - EVIDENCE_ROWS} more</p>
          )}
        </div>
      )}
    </>
  );
}

// download saves bytes the API returned as a file.
function download(bytes: Uint8Array, mediaType: string, name: string) {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mediaType || "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ImageVulnerabilities({ digest, loc, funnel }: { digest: string; loc: Location; funnel?: Funnel }) {
  const api = useApi();
  const q = useQuery(`image-vulns:${digest}`, (signal) => api.inventory.listVulnerabilities({ filter: { image: digest }, page: { size: 1000 } }, { signal }));
  const [exportError, setExportError] = useState<unknown>(null);
  const short = digest.replace("sha256:", "").slice(0, 12);
  const exportDoc = async (kind: "sbom" | "vex") => {
    setExportError(null);
    try {
      const res = kind === "sbom" ? await api.inventory.exportSBOM({ scope: { image: digest } }) : await api.inventory.exportVEX({ scope: { image: digest } });
      download(res.document, res.mediaType, `${short}.${kind === "sbom" ? "cdx" : "openvex"}.json`);
    } catch (e) {
      setExportError(e);
    }
  };
  // Applicable first, then unknown, then not applicable; the API's order
  // (most severe first) within each.
  const rank = (a: Applicability) => (a === Applicability.APPLICABLE ? 0 : a === Applicability.NOT_APPLICABLE ? 2 : 1);
  const rows = q.data ? [...q.data.vulnerabilities].sort((a, b) => rank(a.applicability) - rank(b.applicability)) : [];
  return (
    <>
      <div class="grid2 flush">
        <section class="card" aria-labelledby="ivf-h">
          <h2 id="ivf-h">Funnel</h2>
          <VulnFunnel funnel={q.data?.funnel ?? funnel} title="Vulnerabilities of this image" />
        </section>
        <section class="card" aria-labelledby="exp-h">
          <h2 id="exp-h">Export</h2>
          <p class="hint">CycloneDX SBOM of the components whose code was loaded, and an OpenVEX document saying which vulnerabilities affect it.</p>
          <div class="filter-actions">
            <button type="button" class="button" onClick={() => exportDoc("sbom")}>
              Download SBOM
            </button>
            <button type="button" class="button" onClick={() => exportDoc("vex")}>
              Download VEX
            </button>
          </div>
          {exportError ? <ErrorBox error={exportError} /> : null}
        </section>
      </div>
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading vulnerabilities" />}
      {q.data && rows.length === 0 && <Empty title="No known vulnerabilities in this image" />}
      {q.data && rows.length > 0 && (
        <>
          <p class="table-note">
            Applicable first, then most severe. {q.data.nextPageToken ? `The first ${rows.length} of ${num(q.data.total)}.` : ""}
          </p>
          <DataTable
            caption="Vulnerabilities of this image"
            columns={vulnColumns({ image: false })}
            rows={rows}
            rowKey={vulnKey}
            expand={{ label: (v) => `Details of ${v.id} in ${v.component}`, expanded: openRows(loc), onToggle: toggleRow(loc), render: (v) => <VulnDetails v={v} /> }}
          />
        </>
      )}
    </>
  );
}
