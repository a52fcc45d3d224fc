import type { Container, Workload } from "../gen/runwatch/v1/inventory_pb";
import { ContainerState } from "../gen/runwatch/v1/inventory_types_pb";
import { useApi } from "../api";
import { Badge, GoneBadge } from "../components/badges";
import { Clip, Link } from "../components/link";
import { ProcessDetails, ProcessTable, fileColumns, fileKey } from "../components/runtime";
import { Empty, ErrorBox, Loading } from "../components/states";
import { ImageVulnerabilities, TrustCard } from "./image-risk";
import { type Column, DataTable } from "../components/table";
import { ago, dateTime, enumLabel, num } from "../format";
import { useQuery } from "../hooks";
import { WINDOWS, windowOf } from "../query";
import { type Location, hrefWith, setParams } from "../router";
import { openRows, toggleRow } from "./common";
import { imageName } from "./images";

const DEFAULT_WINDOW = "10d";
const TABS = [
  { key: "containers", label: "Containers" },
  { key: "workloads", label: "Workloads" },
  { key: "processes", label: "Processes" },
  { key: "files", label: "Loaded files" },
  { key: "vulnerabilities", label: "Vulnerabilities" },
];

export function ImagePage({ loc, digest }: { loc: Location; digest: string }) {
  const api = useApi();
  const win = windowOf(loc.params.get("window"), DEFAULT_WINDOW);
  const tab = TABS.find((t) => t.key === loc.params.get("tab"))?.key ?? "containers";
  const q = useQuery(`image:${digest}:${win.key}`, (signal) => api.inventory.getImage({ digest, window: win.value }, { signal }));

  if (q.status === "error" && !q.data) {
    return (
      <>
        <Breadcrumb digest={digest} />
        <ErrorBox error={q.error} retry={q.reload} />
      </>
    );
  }
  if (!q.data) return <Loading label="Loading the image" />;
  const { image, containers, workloads, processes, loadedFiles, truncated } = q.data;
  if (!image) return <Empty title="This image is not known" />;
  const seeAll = (path: string) => `${path}?image=${encodeURIComponent(digest)}&window=${win.key}`;

  // The tabs hold the first page of each list in the platform's default
  // order; the list pages sort whole lists.
  const orderNote: Record<string, preact.ComponentChildren> = {
    containers: "By namespace, pod and container.",
    workloads: (
      <>
        By namespace and name. <Link href={seeAll("/workloads")}>Sort this image's workloads on the Workloads page →</Link>
      </>
    ),
    processes: (
      <>
        Most recently seen first. <Link href={seeAll("/processes")}>Sort this image's processes on the Processes page →</Link>
      </>
    ),
    files: "Most recently seen first.",
  };
  const counts: Record<string, number> = {
    containers: containers.length,
    workloads: workloads.length,
    processes: processes.length,
    files: loadedFiles.length,
  };
  return (
    <>
      <Breadcrumb digest={digest} />
      <header class="page-head">
        <h1 class="break">{imageName(image)}</h1>
        <p class="mono wrap muted">{image.digest}</p>
      </header>
      <div class="grid2">
        <section class="card" aria-labelledby="img-facts">
          <h2 id="img-facts">What runs it</h2>
          <dl class="details">
            <dt>Registry path</dt>
            <dd class="wrap">{image.repository || "–"}</dd>
            <dt>References</dt>
            <dd class="wrap">{image.references.join(", ") || "–"}</dd>
            <dt>Containers</dt>
            <dd>
              {num(image.runningContainers)} running of {num(image.containers)}
            </dd>
            <dt>Workloads, clusters</dt>
            <dd>
              {num(image.workloads)}, {num(image.clusters)}
            </dd>
            <dt>Processes, loaded files</dt>
            <dd>
              {num(image.processes)}, {num(image.loadedFiles)}
            </dd>
            <dt>Seen</dt>
            <dd>
              {dateTime(image.firstSeen)} → {dateTime(image.lastSeen)}
            </dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="img-trust">
          <h2 id="img-trust">Trust and integrity</h2>
          <TrustCard e={image.enrichment} />
        </section>
      </div>

      <div class="tabbar">
        <nav aria-label="Image details" class="tabs">
          {TABS.map((t) => (
            <Link key={t.key} href={hrefWith(loc, { tab: t.key === "containers" ? undefined : t.key, open: undefined })} class="tab" aria-current={t.key === tab ? "page" : undefined}>
              {t.label}
              {t.key in counts && <span class="tab-count">{counts[t.key]}</span>}
            </Link>
          ))}
        </nav>
        <label class="field inline">
          <span class="field-label">Runtime window</span>
          <select value={win.key} onChange={(e) => setParams(loc, { window: (e.currentTarget as HTMLSelectElement).value })}>
            {WINDOWS.map((w) => (
              <option key={w.key} value={w.key}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
      </div>

      <section class="section" aria-label={TABS.find((t) => t.key === tab)!.label}>
        {(counts[tab] ?? 0) > 0 && <p class="table-note">{orderNote[tab]}</p>}
        {tab === "containers" &&
          (containers.length ? (
            <DataTable caption="Containers" columns={containerCols} rows={containers} rowKey={(c) => `${c.clusterId}/${c.podUid}/${c.name}`} />
          ) : (
            <Empty title="No containers run this image in this window" />
          ))}
        {tab === "workloads" &&
          (workloads.length ? (
            <DataTable caption="Workloads" columns={workloadCols} rows={workloads} rowKey={(w) => `${w.clusterId}/${w.uid}`} />
          ) : (
            <Empty title="No workloads run this image in this window" />
          ))}
        {tab === "processes" &&
          (processes.length ? (
            <ProcessTable
              caption="Processes"
              rows={processes}
              image={false}
              expand={{ label: (p) => `Details of ${p.executablePath}`, expanded: openRows(loc), onToggle: toggleRow(loc), render: (p) => <ProcessDetails p={p} /> }}
            />
          ) : (
            <Empty title="No processes seen in this window" />
          ))}
        {tab === "files" &&
          (loadedFiles.length ? (
            <DataTable caption="Loaded files" columns={fileColumns()} rows={loadedFiles} rowKey={fileKey} />
          ) : (
            <Empty title="No files loaded in this window" />
          ))}
        {tab === "vulnerabilities" && <ImageVulnerabilities digest={digest} loc={loc} funnel={image.enrichment?.funnel} />}
        {truncated && (counts[tab] ?? 0) >= 50 && (
          <p class="more">
            Showing the first page.{" "}
            <Link href={seeAll(tab === "files" ? "/vulnerabilities" : tab === "containers" ? "/workloads" : "/processes")}>See all →</Link>
          </p>
        )}
      </section>
    </>
  );
}

function Breadcrumb({ digest }: { digest: string }) {
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      <Link href="/images">Images</Link> <span aria-hidden="true">/</span> <span class="mono">{digest.slice(0, 19)}…</span>
    </nav>
  );
}

const containerCols: Column<Container>[] = [
  { key: "pod", label: "Pod", class: "wide", render: (c) => <Clip text={`${c.namespace}/${c.podName}`} /> },
  { key: "name", label: "Container", render: (c) => <Clip text={c.name} /> },
  {
    key: "workload",
    label: "Workload",
    render: (c) => <Clip text={c.workload ? `${c.workload.kind} ${c.workload.name}` : "–"} />,
  },
  { key: "cluster", label: "Cluster", render: (c) => <Clip text={`${c.clusterName}/${c.nodeName}`} /> },
  {
    key: "state",
    label: "State",
    render: (c) =>
      c.goneAt ? (
        <Badge tone="muted">gone</Badge>
      ) : (
        <Badge tone={c.state === ContainerState.RUNNING ? "ok" : "warn"}>{enumLabel(ContainerState, c.state)}</Badge>
      ),
  },
  { key: "restarts", label: "Restarts", class: "num", render: (c) => num(c.restartCount) },
  { key: "started", label: "Started", render: (c) => <span title={dateTime(c.startedAt)}>{ago(c.startedAt)}</span> },
];

const workloadCols: Column<Workload>[] = [
  {
    key: "name",
    label: "Workload",
    class: "wide",
    render: (w) => (
      <Link href={`/workloads?cluster=${encodeURIComponent(w.clusterName)}&namespace=${encodeURIComponent(w.namespace)}&text=${encodeURIComponent(w.name)}`}>
        <Clip text={`${w.kind} ${w.namespace}/${w.name}`} />
      </Link>
    ),
  },
  { key: "cluster", label: "Cluster", render: (w) => <Clip text={w.clusterName} /> },
  { key: "status", label: "Status", render: (w) => <GoneBadge gone={!!w.goneAt} /> },
  { key: "pods", label: "Pods", class: "num", render: (w) => num(w.pods) },
  { key: "processes", label: "Processes", class: "num", render: (w) => num(w.processes) },
];
