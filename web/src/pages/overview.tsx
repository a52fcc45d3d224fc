import { useApi } from "../api";
import { ControllerBadge } from "../components/badges";
import { StackedBar } from "../components/charts";
import { FilterBar } from "../components/filters";
import { Link } from "../components/link";
import { ErrorBox, Loading } from "../components/states";
import { ago, num, plural } from "../format";
import { useQuery } from "../hooks";
import { filterFromParams, windowOf } from "../query";
import type { Location } from "../router";
import { EntitlementMeter } from "./settings-licence";
import { RISK_LABELS, RISK_ORDER, VulnFunnel } from "../components/risk";
import { RiskKind } from "../gen/runwatch/v1/enrichment_pb";
import type { RiskTotal } from "../gen/runwatch/v1/inventory_pb";

const DEFAULT_WINDOW = "now";

export function Overview({ loc }: { loc: Location }) {
  const api = useApi();
  const filter = filterFromParams(loc.params, DEFAULT_WINDOW);
  const key = `overview?${loc.params.get("cluster") ?? ""}&${loc.params.get("window") ?? ""}`;
  const q = useQuery(key, async (signal) => {
    const [overview, clusters] = await Promise.all([
      api.inventory.getOverview({ filter }, { signal }),
      api.inventory.listClusters({ filter: { cluster: filter.cluster }, page: { size: 20 } }, { signal }),
    ]);
    return { overview, clusters };
  });
  // The funnel of the cluster, or of all.
  const vulns = useQuery(`funnel?${filter.cluster ?? ""}`, (signal) =>
    api.inventory.listVulnerabilities({ filter: { cluster: filter.cluster ?? "" }, page: { size: 1 } }, { signal }),
  );
  // The entitlement is the whole platform's, not the filter's.
  const lic = useQuery("licence", (signal) => api.admin.getLicense({}, { signal }));
  const win = windowOf(loc.params.get("window"), DEFAULT_WINDOW);
  const windowParam = win.key === DEFAULT_WINDOW ? "" : `window=${win.key}`;
  const withWindow = (path: string, extra = "") => {
    const qs = [windowParam, extra, loc.params.get("cluster") ? `cluster=${encodeURIComponent(loc.params.get("cluster")!)}` : ""]
      .filter(Boolean)
      .join("&");
    return qs ? `${path}?${qs}` : path;
  };

  return (
    <>
      <header class="page-head">
        <h1>Overview</h1>
        <p class="lede">What runs in your clusters, where it came from and what is at risk.</p>
      </header>
      <FilterBar
        loc={loc}
        fields={[{ key: "cluster", label: "Cluster", placeholder: "all clusters", options: q.data?.clusters.clusters.map((c) => c.name) }]}
        defaultWindow={DEFAULT_WINDOW}
      />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading the overview" rows={4} />}
      {q.data && (
        <div aria-busy={q.status === "loading" ? "true" : "false"}>
          <section aria-labelledby="counts-h" class="section">
            <h2 id="counts-h" class="sr-only">
              Counts
            </h2>
            <ul class="stats">
              <Stat label="Clusters" value={q.data.overview.clusters} href={withWindow("/clusters")} />
              <Stat label="Nodes" value={q.data.overview.nodes?.total ?? 0n} href={withWindow("/clusters")} />
              <Stat label="Workloads" value={q.data.overview.workloads} href={withWindow("/workloads")} />
              <Stat label="Images" value={q.data.overview.images} href={withWindow("/images")} />
              <Stat label="Containers" value={q.data.overview.containers} />
              <Stat label="Processes" value={q.data.overview.processes} href={withWindow("/processes")} hint={win.label.toLowerCase()} />
              <Stat label="Loaded files" value={q.data.overview.loadedFiles} hint={win.label.toLowerCase()} />
            </ul>
          </section>

          <div class="grid2">
            <section class="card" aria-labelledby="sensors-h">
              <h2 id="sensors-h">Sensors on nodes</h2>
              <StackedBar
                title="Nodes by sensor status"
                segments={[
                  { label: "Running", value: Number(q.data.overview.nodes?.running ?? 0n), tone: "ok" },
                  { label: "Degraded", value: Number(q.data.overview.nodes?.degraded ?? 0n), tone: "warn" },
                  { label: "Failed", value: Number(q.data.overview.nodes?.failed ?? 0n), tone: "bad" },
                  { label: "Restricted", value: Number(q.data.overview.nodes?.restricted ?? 0n), tone: "bad" },
                  { label: "Disabled", value: Number(q.data.overview.nodes?.disabled ?? 0n), tone: "muted" },
                  { label: "Stopped", value: Number(q.data.overview.nodes?.stopped ?? 0n), tone: "muted" },
                  { label: "Not installed", value: Number(q.data.overview.nodes?.notInstalled ?? 0n), tone: "info" },
                ]}
              />
            </section>

            <section class="card" aria-labelledby="risks-h">
              <h2 id="risks-h">Risks by type</h2>
              <RisksByType
                risks={q.data.overview.risks}
                window={win.label.toLowerCase()}
                drifted={q.data.overview.driftedExecutables}
                imagesHref={withWindow("/images")}
                driftHref={withWindow("/processes", "drift=1")}
              />
            </section>

            <section class="card" aria-labelledby="funnel-h">
              <h2 id="funnel-h">
                Vulnerability funnel <Link href="/vulnerabilities?applicability=applicable">applicable →</Link>
              </h2>
              {vulns.status === "error" ? <ErrorBox error={vulns.error} retry={vulns.reload} /> : <VulnFunnel funnel={vulns.data?.funnel} />}
            </section>

            <section class="card" aria-labelledby="ent-h">
              <h2 id="ent-h">Entitlement</h2>
              {lic.data ? (
                <>
                  <EntitlementMeter lic={lic.data} />
                  <Link href="/settings/licence">Licence and nodes in operation →</Link>
                </>
              ) : lic.status === "error" ? (
                <ErrorBox error={lic.error} retry={lic.reload} />
              ) : (
                <Loading label="Loading the entitlement" rows={2} />
              )}
            </section>
          </div>

          <section class="card section" aria-labelledby="clusters-h">
            <h2 id="clusters-h">Clusters</h2>
            {q.data.clusters.clusters.length === 0 ? (
              <p class="empty-inline">
                No cluster reports yet. <Link href="/settings">Create a registration token</Link> and install the agents.
              </p>
            ) : (
              <ul class="cluster-list">
                {q.data.clusters.clusters.map((c) => (
                  <li key={c.id}>
                    <Link href={`/clusters?cluster=${encodeURIComponent(c.name)}`} class="cluster-name">
                      {c.name}
                    </Link>
                    <ControllerBadge status={c.controller?.status ?? 0} title={c.controller?.message} />
                    <span class="muted">
                      {num(c.nodes?.running ?? 0n)}/{num(c.nodes?.total ?? 0n)} sensors running · {num(c.workloads)} workloads · last report{" "}
                      {ago(c.controller?.lastReport)}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </>
  );
}

function Stat({ label, value, href, hint }: { label: string; value: bigint; href?: string; hint?: string }) {
  const body = (
    <>
      <span class="stat-value">{num(value)}</span>
      <span class="stat-label">
        {label}
        {hint && <span class="stat-hint"> · {hint}</span>}
      </span>
    </>
  );
  return <li class="stat">{href ? <Link href={href}>{body}</Link> : <div>{body}</div>}</li>;
}

const RISK_DESC: Record<RiskKind, string> = {
  [RiskKind.UNSPECIFIED]: "",
  [RiskKind.MALICIOUS_PACKAGE]: "a package known to be malicious",
  [RiskKind.CRITICAL_APPLICABLE_CVE]: "a critical vulnerability whose code is loaded",
  [RiskKind.INTEGRITY_VIOLATION]: "not what the registry holds",
  [RiskKind.UNTRUSTED_IMAGE]: "not from a trusted registry",
  [RiskKind.DRIFT]: "executables that are not part of their image",
};

// RisksByType shows the platform's totals of open risks per kind over
// the images in the overview's scope (cluster and window).
function RisksByType(p: { risks: RiskTotal[]; window: string; drifted: bigint; imagesHref: string; driftHref: string }) {
  const byKind = new Map(p.risks.map((r) => [r.kind, r]));
  const href = (k: RiskKind) =>
    k === RiskKind.CRITICAL_APPLICABLE_CVE ? "/vulnerabilities?applicability=applicable&severity=critical" : k === RiskKind.DRIFT ? p.driftHref : p.imagesHref;
  return (
    <>
      <ul class="risk-list">
        {RISK_ORDER.map((k) => {
          const t = byKind.get(k);
          const images = t?.images ?? 0n;
          const risks = t?.risks ?? 0n;
          const title = `${plural(images, "image")} with ${plural(risks, "open risk")} of this kind${k === RiskKind.DRIFT ? `; ${plural(p.drifted, "drifted executable")} seen` : ""}`;
          return (
            <li key={k}>
              <span class="risk-name">{RISK_LABELS[k][0].toUpperCase() + RISK_LABELS[k].slice(1)}</span>
              <span class="risk-desc">{RISK_DESC[k]}</span>
              <Link class={images > 0n ? "risk-count bad" : "risk-count"} href={href(k)} title={title} aria-label={`${RISK_LABELS[k]}: ${title}`}>
                {num(images)}
              </Link>
            </li>
          );
        })}
      </ul>
      <p class="table-note">Images with each risk open, among the images in this scope ({p.window}).</p>
    </>
  );
}
