// Tables of runtime records (processes and loaded files), shared by the
// processes, workloads and image pages.
import type { LoadedFile, Process } from "../gen/runwatch/v1/inventory_pb";
import { FileKind } from "../gen/runwatch/v1/runtime_types_pb";
import { ago, dateTime, enumLabel, num, shortDigest, shortHash } from "../format";
import { DriftBadge } from "./badges";
import { Clip, Link } from "./link";
import { type Column, type DataTableProps, DataTable } from "./table";

export const processKey = (p: Process) => `${p.clusterId}/${p.container?.containerId ?? ""}/${p.executablePath}/${p.sha256}`;

export function processColumns(opts: { workload?: boolean; image?: boolean } = {}): Column<Process>[] {
  const cols: Column<Process>[] = [
    {
      key: "path",
      label: "Executable",
      class: "wide",
      order: "path",
      render: (p) => (
        <>
          <Clip text={p.executablePath} class="mono" />
          {p.drift && <DriftBadge />}
        </>
      ),
    },
    {
      key: "sha256",
      label: "SHA-256",
      render: (p) =>
        p.sha256 ? (
          <Link href={`/processes?sha256=${p.sha256}&window=10d`} class="mono" title={p.sha256}>
            {shortHash(p.sha256)}
          </Link>
        ) : (
          <span class="muted" title={p.unresolvedReason}>
            unknown
          </span>
        ),
    },
  ];
  if (opts.workload !== false)
    cols.push({
      key: "workload",
      label: "Workload",
      render: (p) =>
        p.workload?.name ? (
          <Link href={`/workloads?cluster=${encodeURIComponent(p.clusterName)}&namespace=${encodeURIComponent(p.namespace)}&text=${encodeURIComponent(p.workload.name)}`}>
            <Clip text={`${p.namespace}/${p.workload.name}`} />
          </Link>
        ) : (
          <span class="muted">{p.container?.containerId ? "unattributed container" : "host"}</span>
        ),
    });
  if (opts.image !== false)
    cols.push({
      key: "image",
      label: "Image",
      render: (p) =>
        p.imageDigest ? (
          <Link href={`/images/${encodeURIComponent(p.imageDigest)}`} title={p.imageDigest}>
            <Clip text={p.image || shortDigest(p.imageDigest)} />
          </Link>
        ) : (
          <Clip text={p.image || "–"} />
        ),
    });
  cols.push(
    { key: "node", label: "Node", render: (p) => <Clip text={`${p.clusterName}/${p.nodeName}`} /> },
    { key: "count", label: "Runs", class: "num", order: "-count", render: (p) => num(p.count) },
    {
      key: "last",
      label: "Last seen",
      order: "",
      render: (p) => <span title={dateTime(p.lastSeen)}>{ago(p.lastSeen)}</span>,
    },
  );
  return cols;
}

export function ProcessDetails({ p }: { p: Process }) {
  return (
    <dl class="details">
      <dt>Command line</dt>
      <dd class="mono wrap">{p.argv.length ? p.argv.join(" ") : "–"}</dd>
      <dt>Parent</dt>
      <dd class="mono wrap">{p.parentExecutablePath || "–"}</dd>
      <dt>comm, uid</dt>
      <dd>
        {p.comm || "–"}, {p.uid}
      </dd>
      <dt>SHA-256</dt>
      <dd class="mono wrap">{p.sha256 || `unknown: ${p.unresolvedReason || "not reported"}`}</dd>
      <dt>Packages</dt>
      <dd class="mono wrap">{p.packagePurls.length ? p.packagePurls.join(", ") : "none identified"}</dd>
      <dt>Pod, container</dt>
      <dd class="wrap">
        {p.podName ? `${p.namespace}/${p.podName}, ${p.containerName}` : "–"}
        <span class="mono muted"> {p.container?.containerId}</span>
      </dd>
      <dt>Seen</dt>
      <dd>
        {dateTime(p.firstSeen)} → {dateTime(p.lastSeen)}, {num(p.count)} runs
      </dd>
    </dl>
  );
}

export function ProcessTable(
  props: { rows: Process[]; caption: string; workload?: boolean; image?: boolean } & Pick<
    DataTableProps<Process>,
    "order" | "onOrder" | "busy" | "expand"
  >,
) {
  return (
    <DataTable
      caption={props.caption}
      columns={processColumns({ workload: props.workload, image: props.image })}
      rows={props.rows}
      rowKey={processKey}
      order={props.order}
      onOrder={props.onOrder}
      busy={props.busy}
      expand={props.expand}
    />
  );
}

export const fileKey = (f: LoadedFile) => `${f.clusterId}/${f.container?.containerId ?? ""}/${f.path}/${f.sha256}`;

export function fileColumns(): Column<LoadedFile>[] {
  return [
    {
      key: "path",
      label: "File",
      class: "wide",
      order: "path",
      render: (f) => (
        <>
          <Clip text={f.path} class="mono" />
          {f.drift && <DriftBadge />}
        </>
      ),
    },
    { key: "kind", label: "Kind", render: (f) => enumLabel(FileKind, f.kind) },
    {
      key: "packages",
      label: "Packages",
      render: (f) =>
        f.packagePurls.length ? (
          <Clip text={f.packagePurls.join(", ")} class="mono" />
        ) : (
          <span class="muted" title={f.unresolvedReason}>
            none identified
          </span>
        ),
    },
    { key: "by", label: "Loaded by", render: (f) => <Clip text={f.loadedByPath || "–"} class="mono" /> },
    {
      key: "workload",
      label: "Workload",
      render: (f) => <Clip text={f.workload?.name ? `${f.namespace}/${f.workload.name}` : "–"} />,
    },
    { key: "count", label: "Loads", class: "num", order: "-count", render: (f) => num(f.count) },
    {
      key: "last",
      label: "Last seen",
      order: "",
      render: (f) => <span title={dateTime(f.lastSeen)}>{ago(f.lastSeen)}</span>,
    },
  ];
}
