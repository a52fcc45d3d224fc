import type { Cluster, Node } from "../gen/runwatch/v1/inventory_pb";
import { HookMode, SensorMode } from "../gen/runwatch/v1/runtime_types_pb";
import { useApi } from "../api";
import { ControllerBadge, SensorBadge } from "../components/badges";
import { FilterBar } from "../components/filters";
import { Clip, Link } from "../components/link";
import { Pager } from "../components/pager";
import { Empty, ErrorBox, Loading } from "../components/states";
import { SortNote } from "../components/sort";
import { type Column, DataTable } from "../components/table";
import { ago, dateTime, enumLabel, num } from "../format";
import { useQuery } from "../hooks";
import { filterFromParams, pageFromParams, queryKey } from "../query";
import type { Location } from "../router";
import { NODE_SORTS } from "../sorts";
import { openRows, sorting, toggleRow } from "./common";

const DEFAULT_WINDOW = "now";

export function Clusters({ loc }: { loc: Location }) {
  const api = useApi();
  const filter = filterFromParams(loc.params, DEFAULT_WINDOW);
  const clusters = useQuery("clusters", (signal) => api.inventory.listClusters({ page: { size: 1000 } }, { signal }));
  const sort = sorting(loc, NODE_SORTS);
  const nodes = useQuery(queryKey("nodes", loc.params), (signal) =>
    api.inventory.listNodes({ filter, page: pageFromParams(loc.params), orderBy: sort.order }, { signal }),
  );
  const selected = loc.params.get("cluster") ?? "";

  const clusterCols: Column<Cluster>[] = [
    {
      key: "name",
      label: "Cluster",
      render: (c) => (
        <Link href={`/clusters?cluster=${encodeURIComponent(c.name)}`} aria-current={selected === c.name ? "true" : undefined}>
          <Clip text={c.name} />
        </Link>
      ),
    },
    { key: "controller", label: "Controller", render: (c) => <ControllerBadge status={c.controller?.status ?? 0} title={c.controller?.message} /> },
    { key: "version", label: "Controller version", render: (c) => c.controller?.version || "–" },
    { key: "report", label: "Last report", render: (c) => <span title={dateTime(c.controller?.lastReport)}>{ago(c.controller?.lastReport)}</span> },
    { key: "heartbeat", label: "Last heartbeat", render: (c) => <span title={dateTime(c.controller?.lastHeartbeat)}>{ago(c.controller?.lastHeartbeat)}</span> },
    { key: "k8s", label: "Kubernetes", render: (c) => [c.kubernetesVersion, c.provider].filter(Boolean).join(" · ") || "–" },
    { key: "sensors", label: "Sensors running", class: "num", render: (c) => `${num(c.nodes?.running ?? 0n)} / ${num(c.nodes?.total ?? 0n)}` },
    { key: "workloads", label: "Workloads", class: "num", render: (c) => num(c.workloads) },
  ];

  const nodeCols: Column<Node>[] = [
    { key: "name", label: "Node", order: "name", render: (n) => <Clip text={n.name} /> },
    { key: "cluster", label: "Cluster", order: "", render: (n) => <Clip text={n.clusterName} /> },
    {
      key: "sensor",
      label: "Sensor",
      render: (n) => <SensorBadge status={n.sensor?.status ?? 0} title={n.sensor?.restrictionReason || n.sensor?.message} />,
    },
    {
      key: "mode",
      label: "Mode",
      render: (n) =>
        n.sensor && n.sensor.mode ? `${enumLabel(SensorMode, n.sensor.mode)} · ${enumLabel(HookMode, n.sensor.hookMode)}` : "–",
    },
    { key: "version", label: "Sensor version", render: (n) => n.sensor?.version || "–" },
    {
      key: "heartbeat",
      label: "Last heartbeat",
      order: "-last_heartbeat",
      render: (n) => <span title={dateTime(n.sensor?.lastHeartbeat)}>{ago(n.sensor?.lastHeartbeat)}</span>,
    },
    { key: "ready", label: "Ready", render: (n) => (n.goneAt ? "gone" : n.ready ? "yes" : "no") },
    { key: "pods", label: "Pods", class: "num", render: (n) => num(n.pods) },
    { key: "kernel", label: "Kernel", render: (n) => <Clip text={n.kernelVersion || "–"} /> },
  ];

  const total = clusters.data?.clusters.length ?? 0;
  return (
    <>
      <header class="page-head">
        <h1>Clusters and nodes</h1>
        <p class="lede">Each cluster's controller, and the sensor on every node.</p>
      </header>
      <section class="section" aria-labelledby="cl-h">
        <h2 id="cl-h">Clusters</h2>
        {clusters.status === "error" && <ErrorBox error={clusters.error} retry={clusters.reload} />}
        {!clusters.data && clusters.status === "loading" && <Loading label="Loading clusters" rows={2} />}
        {clusters.data && total === 0 && (
          <Empty title="No clusters yet">
            <Link href="/settings">Create a registration token</Link> for a cluster and install the agents with it.
          </Empty>
        )}
        {clusters.data && total > 0 && (
          <DataTable caption="Clusters" columns={clusterCols} rows={clusters.data.clusters} rowKey={(c) => c.id} />
        )}
      </section>
      <section class="section" aria-labelledby="nodes-h">
        <h2 id="nodes-h">Nodes{selected ? ` of ${selected}` : ""}</h2>
        <FilterBar
          loc={loc}
          fields={[
            { key: "cluster", label: "Cluster", options: clusters.data?.clusters.map((c) => c.name) },
            { key: "node", label: "Node" },
            { key: "text", label: "Search", placeholder: "name, kernel, version", wide: true },
          ]}
          defaultWindow={DEFAULT_WINDOW}
          windowHint="Running now hides nodes that are gone"
        />
        {nodes.status === "error" && <ErrorBox error={nodes.error} retry={nodes.reload} />}
        {!nodes.data && nodes.status === "loading" && <Loading label="Loading nodes" />}
        {nodes.data && nodes.data.nodes.length === 0 && (
          <Empty title="No nodes match">Nodes appear when a controller reports its cluster or a sensor registers.</Empty>
        )}
        {nodes.data && nodes.data.nodes.length > 0 && (
          <>
            <SortNote options={NODE_SORTS} {...sort} noun="nodes" />
            <DataTable
              caption="Nodes"
              columns={nodeCols}
              rows={nodes.data.nodes}
              rowKey={(n) => `${n.clusterId}/${n.name}`}
              order={sort.order}
              onOrder={sort.onOrder}
              busy={nodes.status === "loading"}
              expand={{
                label: (n) => `Details of node ${n.name}`,
                expanded: openRows(loc),
                onToggle: toggleRow(loc),
                render: (n) => <NodeDetails node={n} />,
              }}
            />
            <Pager loc={loc} shown={nodes.data.nodes.length} next={nodes.data.nextPageToken} noun="nodes" />
          </>
        )}
      </section>
    </>
  );
}

function NodeDetails({ node: n }: { node: Node }) {
  const d = n.sensor?.drops;
  return (
    <dl class="details">
      <dt>OS image</dt>
      <dd>{n.osImage || "–"}</dd>
      <dt>Architecture</dt>
      <dd>{n.architecture || "–"}</dd>
      <dt>Container runtime</dt>
      <dd>{n.containerRuntimeVersion || "–"}</dd>
      <dt>Kubelet</dt>
      <dd>{n.kubeletVersion || "–"}</dd>
      <dt>Provider</dt>
      <dd>{n.provider || "–"}</dd>
      <dt>Sensor message</dt>
      <dd>{n.sensor?.message || "–"}</dd>
      {n.sensor?.restrictionReason && (
        <>
          <dt>Restricted because</dt>
          <dd class="bad-text">{n.sensor.restrictionReason}</dd>
        </>
      )}
      <dt>Events received</dt>
      <dd>{num(n.sensor?.eventsReceived ?? 0n)}</dd>
      <dt>Spooled records</dt>
      <dd>{num(n.sensor?.spooledRecords ?? 0n)}</dd>
      <dt>Dropped</dt>
      <dd>
        ring buffer {num(d?.ringBuffer ?? 0n)} · spool full {num(d?.spoolFull ?? 0n)} · decode errors {num(d?.decodeErrors ?? 0n)} · dedup
        overflow {num(d?.dedupOverflow ?? 0n)}
      </dd>
      <dt>First seen</dt>
      <dd>{dateTime(n.firstSeen)}</dd>
      <dt>Known from</dt>
      <dd>{n.sensorOnly ? "the sensor only (no controller report)" : "the controller"}</dd>
    </dl>
  );
}
