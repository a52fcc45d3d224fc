import { useApi } from "../api";
import { ControllerBadge } from "../components/badges";
import { StackedBar } from "../components/charts";
import { FilterBar } from "../components/filters";
import { Link } from "../components/link";
import { ErrorBox, Loading, NotAvailable } from "../components/states";
import { ago, num } from "../format";
import { useQuery } from "../hooks";
import { filterFromParams, windowOf } from "../query";
import type { Location } from "../router";
import { EntitlementMeter } from "./settings-licence";

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
              <ul class="risk-list">
                <li>
                  <span class="risk-name">Drift</span>
                  <span class="risk-desc">executables that are not part of their image</span>
                  <Link class={q.data.overview.driftedExecutables > 0n ? "risk-count bad" : "risk-count"} href={withWindow("/processes", "drift=1")}>
                    {num(q.data.overview.driftedExecutables)}
                  </Link>
                </li>
              </ul>
              <NotAvailable what="Untrusted images, integrity violations, critical applicable CVEs, malicious packages">
                These risks appear once the platform checks images against your artifact registry and vulnerability data.
              </NotAvailable>
            </section>

            <section class="card" aria-labelledby="funnel-h">
              <h2 id="funnel-h">Vulnerability funnel</h2>
              <NotAvailable what="All → critical & high → with a fix → applicable at runtime">
                The funnel narrows your vulnerabilities to those whose code is actually loaded. It fills in once vulnerability data is
                connected.
              </NotAvailable>
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
