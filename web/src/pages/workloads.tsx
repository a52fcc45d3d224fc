import type { Workload } from "../gen/runwatch/v1/inventory_pb";
import { useApi } from "../api";
import { GoneBadge } from "../components/badges";
import { FilterBar } from "../components/filters";
import { Clip, Link } from "../components/link";
import { Pager } from "../components/pager";
import { ProcessDetails, ProcessTable } from "../components/runtime";
import { RiskChips, TrustBadge, VulnFunnel } from "../components/risk";
import { Empty, ErrorBox, Loading } from "../components/states";
import { SortNote } from "../components/sort";
import { type Column, DataTable } from "../components/table";
import { ago, dateTime, num, shortDigest } from "../format";
import { useQuery } from "../hooks";
import { filterFromParams, pageFromParams, queryKey, windowOf } from "../query";
import type { Location } from "../router";
import { WORKLOAD_SORTS } from "../sorts";
import { openRows, sorting, toggleRow } from "./common";
import { useState } from "preact/hooks";

const DEFAULT_WINDOW = "now";

export const workloadKey = (w: Workload) => `${w.clusterId}/${w.uid}`;

export function Workloads({ loc }: { loc: Location }) {
  const api = useApi();
  const filter = filterFromParams(loc.params, DEFAULT_WINDOW);
  const sort = sorting(loc, WORKLOAD_SORTS);
  const q = useQuery(queryKey("workloads", loc.params), (signal) =>
    api.inventory.listWorkloads({ filter, page: pageFromParams(loc.params), orderBy: sort.order }, { signal }),
  );
  const win = windowOf(loc.params.get("window"), DEFAULT_WINDOW);

  const cols: Column<Workload>[] = [
    {
      key: "name",
      label: "Workload",
      class: "wide",
      order: "name",
      render: (w) => (
        <span class="two-line">
          <Clip text={w.name} class="strong" />
          <span class="muted small">{w.kind}</span>
        </span>
      ),
    },
    {
      key: "risk",
      label: "Risk",
      render: (w) => <RiskChips risks={w.risks} />,
    },
    { key: "trust", label: "Trust", render: (w) => <TrustBadge trust={w.trust} /> },
    { key: "namespace", label: "Namespace", order: "", render: (w) => <Clip text={w.namespace} /> },
    { key: "cluster", label: "Cluster", order: "cluster", render: (w) => <Clip text={w.clusterName} /> },
    { key: "status", label: "Status", render: (w) => <GoneBadge gone={!!w.goneAt} /> },
    {
      key: "pods",
      label: "Pods",
      class: "num",
      render: (w) => (w.desiredReplicas ? `${num(w.pods)} / ${w.desiredReplicas}` : num(w.pods)),
    },
    {
      key: "nodes",
      label: "Nodes",
      render: (w) => <Clip text={w.nodes.length ? w.nodes.join(", ") : "–"} />,
    },
    {
      key: "images",
      label: "Images",
      render: (w) =>
        w.images.length === 0 ? (
          "–"
        ) : (
          <span class="chips">
            {w.images.slice(0, 3).map((img) =>
              img.startsWith("sha256:") ? (
                <Link key={img} href={`/images/${encodeURIComponent(img)}`} class="chip mono" title={img}>
                  {shortDigest(img)}
                </Link>
              ) : (
                <span key={img} class="chip">
                  <Clip text={img} />
                </span>
              ),
            )}
            {w.images.length > 3 && <span class="muted small">+{w.images.length - 3}</span>}
          </span>
        ),
    },
    { key: "processes", label: "Processes", class: "num", render: (w) => num(w.processes) },
    {
      key: "seen",
      label: "Last seen",
      order: "-last_seen",
      render: (w) => <span title={dateTime(w.lastSeen)}>{ago(w.lastSeen)}</span>,
    },
  ];

  return (
    <>
      <header class="page-head">
        <h1>Workloads</h1>
        <p class="lede">Deployments, StatefulSets, DaemonSets, Jobs and bare pods, with what they run.</p>
      </header>
      <FilterBar
        loc={loc}
        fields={[
          { key: "cluster", label: "Cluster" },
          { key: "namespace", label: "Namespace" },
          { key: "node", label: "Node" },
          { key: "image", label: "Image", placeholder: "digest or reference" },
          { key: "text", label: "Search", placeholder: "name, kind, label", wide: true },
        ]}
        defaultWindow={DEFAULT_WINDOW}
        windowHint="Running now hides workloads that are gone"
      />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading workloads" />}
      {q.data && q.data.workloads.length === 0 && (
        <Empty title="No workloads match">
          {loc.params.toString() ? "Try a wider time window or clear the filters." : "Workloads appear when a cluster's controller reports."}
        </Empty>
      )}
      {q.data && q.data.workloads.length > 0 && (
        <>
          <SortNote options={WORKLOAD_SORTS} {...sort} noun="workloads">
            Processes counted for {win.label.toLowerCase()}.
          </SortNote>
          <DataTable
            caption="Workloads"
            columns={cols}
            rows={q.data.workloads}
            rowKey={workloadKey}
            order={sort.order}
            onOrder={sort.onOrder}
            busy={q.status === "loading"}
            expand={{
              label: (w) => `Processes of ${w.kind} ${w.namespace}/${w.name}`,
              expanded: openRows(loc),
              onToggle: toggleRow(loc),
              render: (w) => <WorkloadProcesses w={w} loc={loc} />,
            }}
          />
          <Pager loc={loc} shown={q.data.workloads.length} next={q.data.nextPageToken} noun="workloads" />
        </>
      )}
    </>
  );
}

const EXPAND_ROWS = 20;

function WorkloadProcesses({ w, loc }: { w: Workload; loc: Location }) {
  const api = useApi();
  const winKey = windowOf(loc.params.get("window"), "24h").key;
  // "Running now" bounds inventory; for what the workload ran, a day is the
  // useful default.
  const runtimeWindow = winKey === "now" ? "24h" : winKey;
  const [open, setOpen] = useState<Set<string>>(new Set());
  const q = useQuery(`wp:${workloadKey(w)}:${runtimeWindow}`, (signal) =>
    api.inventory.listProcesses(
      { filter: { cluster: w.clusterId, workload: w.uid, window: windowOf(runtimeWindow, "24h").value }, page: { size: EXPAND_ROWS } },
      { signal },
    ),
  );
  const all = `/processes?cluster=${encodeURIComponent(w.clusterName)}&workload=${encodeURIComponent(w.uid)}&window=${runtimeWindow}`;
  const risk = useQuery(`wr:${workloadKey(w)}`, (signal) => api.inventory.getWorkloadRisk({ cluster: w.clusterId, workload: w.uid }, { signal }));
  return (
    <div class="expanded">
      <div class="grid2 flush">
        <div>
          <h3 class="expanded-title">Risks</h3>
          {risk.status === "error" && <ErrorBox error={risk.error} retry={risk.reload} />}
          {risk.data &&
            (risk.data.risks.length === 0 ? (
              <p class="muted">No open risks.</p>
            ) : (
              <ul class="risk-details">
                {risk.data.risks.map((r) => (
                  <li key={`${r.kind}/${r.key}`}>
                    <RiskChips risks={[r]} /> <span class="wrap">{r.detail || r.subject}</span>
                  </li>
                ))}
              </ul>
            ))}
        </div>
        <div>
          <h3 class="expanded-title">
            Vulnerabilities <Link href={`/vulnerabilities?cluster=${encodeURIComponent(w.clusterName)}&workload=${encodeURIComponent(w.uid)}`}>list →</Link>
          </h3>
          {risk.data && <VulnFunnel funnel={risk.data.funnel} title={`Vulnerabilities of ${w.name}`} />}
        </div>
      </div>
      <h3 class="expanded-title">
        Processes of {w.namespace}/{w.name}, {windowOf(runtimeWindow, "24h").label.toLowerCase()}
      </h3>
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading processes" rows={3} />}
      {q.data && q.data.processes.length === 0 && <Empty title="No processes seen in this window" />}
      {q.data && q.data.processes.length > 0 && (
        <>
          <ProcessTable
            caption={`Processes of ${w.name}`}
            rows={q.data.processes}
            workload={false}
            expand={{
              label: (p) => `Details of ${p.executablePath}`,
              expanded: open,
              onToggle: (k) =>
                setOpen((s) => {
                  const n = new Set(s);
                  if (n.has(k)) n.delete(k);
                  else n.add(k);
                  return n;
                }),
              render: (p) => <ProcessDetails p={p} />,
            }}
          />
          {q.data.nextPageToken && (
            <p class="more">
              Showing the newest {EXPAND_ROWS}. <Link href={all}>All processes of this workload →</Link>
            </p>
          )}
        </>
      )}
    </div>
  );
}
