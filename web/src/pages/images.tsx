import type { Image } from "../gen/runwatch/v1/inventory_pb";
import { useApi } from "../api";
import { FilterBar } from "../components/filters";
import { Clip, Link } from "../components/link";
import { Pager } from "../components/pager";
import { ImageTrust, RiskChips } from "../components/risk";
import { Empty, ErrorBox, Loading } from "../components/states";
import { SortNote } from "../components/sort";
import { type Column, DataTable } from "../components/table";
import { ago, dateTime, num, shortDigest } from "../format";
import { useQuery } from "../hooks";
import { filterFromParams, pageFromParams, queryKey } from "../query";
import type { Location } from "../router";
import { IMAGE_SORTS } from "../sorts";
import { sorting } from "./common";

const DEFAULT_WINDOW = "now";

export function imageName(i: Image): string {
  return i.references[0] || i.repository || shortDigest(i.digest);
}

export function Images({ loc }: { loc: Location }) {
  const api = useApi();
  const filter = filterFromParams(loc.params, DEFAULT_WINDOW);
  const sort = sorting(loc, IMAGE_SORTS);
  const q = useQuery(queryKey("images", loc.params), (signal) =>
    api.inventory.listImages({ filter, page: pageFromParams(loc.params), orderBy: sort.order }, { signal }),
  );
  const cols: Column<Image>[] = [
    {
      key: "name",
      label: "Image",
      class: "wide",
      // The default order is by repository, which leads each name.
      order: "",
      render: (i) => (
        <span class="two-line">
          <Link href={`/images/${encodeURIComponent(i.digest)}`} class="strong">
            <Clip text={imageName(i)} />
          </Link>
          {i.references.length > 1 && <span class="muted small">also {i.references.slice(1, 3).join(", ")}</span>}
        </span>
      ),
    },
    {
      key: "trust",
      label: "Trust",
      render: (i) => <ImageTrust e={i.enrichment} />,
    },
    { key: "risk", label: "Risk", render: (i) => <RiskChips risks={i.enrichment?.risks ?? []} /> },
    {
      key: "vulns",
      label: "Vulnerabilities",
      render: (i) => {
        const f = i.enrichment?.funnel;
        if (!f) return <span class="muted">–</span>;
        const text =
          `${num(f.all)} in all, ${num(f.applicableAny)} of them loaded at runtime; ` +
          `${num(f.criticalHigh)} critical or high, ${num(f.withFix)} of them with a fix, ${num(f.applicable)} of those loaded`;
        return (
          <Link href={`/images/${encodeURIComponent(i.digest)}?tab=vulnerabilities`} title={text} class="funnel-cell two-line">
            <span aria-hidden="true">
              <strong class={f.applicableAny > 0n ? "bad-text" : undefined}>{num(f.applicableAny)}</strong> loaded of {num(f.all)}
            </span>
            <span aria-hidden="true" class="muted small">
              {num(f.criticalHigh)} ▸ {num(f.withFix)} ▸ <strong class={f.applicable > 0n ? "bad-text" : undefined}>{num(f.applicable)}</strong>
            </span>
            <span class="sr-only">{text}</span>
          </Link>
        );
      },
    },
    {
      key: "repository",
      label: "Registry path",
      render: (i) => <Clip text={i.enrichment?.registry?.path || i.repository || "–"} />,
    },
    { key: "digest", label: "Digest", render: (i) => <span class="mono" title={i.digest}>{shortDigest(i.digest)}</span> },
    {
      key: "containers",
      label: "Running",
      class: "num",
      render: (i) => `${num(i.runningContainers)} / ${num(i.containers)}`,
    },
    { key: "workloads", label: "Workloads", class: "num", render: (i) => num(i.workloads) },
    { key: "clusters", label: "Clusters", class: "num", render: (i) => num(i.clusters) },
    { key: "processes", label: "Processes", class: "num", render: (i) => num(i.processes) },
    { key: "files", label: "Loaded files", class: "num", render: (i) => num(i.loadedFiles) },
    {
      key: "seen",
      label: "Last seen",
      order: "-last_seen",
      render: (i) => <span title={dateTime(i.lastSeen)}>{ago(i.lastSeen)}</span>,
    },
  ];
  return (
    <>
      <header class="page-head">
        <h1>Images</h1>
        <p class="lede">Every image digest containers run, and what runs it.</p>
      </header>
      <FilterBar
        loc={loc}
        fields={[
          { key: "cluster", label: "Cluster" },
          { key: "namespace", label: "Namespace" },
          { key: "workload", label: "Workload" },
          { key: "text", label: "Search", placeholder: "reference, repository or digest", wide: true },
        ]}
        defaultWindow={DEFAULT_WINDOW}
      />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading images" />}
      {q.data && q.data.images.length === 0 && <Empty title="No images match">Images appear when a cluster's controller reports.</Empty>}
      {q.data && q.data.images.length > 0 && (
        <>
          <SortNote options={IMAGE_SORTS} {...sort} noun="images">
            Vulnerabilities: loaded at runtime, of all; under it critical or high ▸ with a fix ▸ loaded.
          </SortNote>
          <DataTable
            caption="Images"
            columns={cols}
            rows={q.data.images}
            rowKey={(i) => i.digest}
            order={sort.order}
            onOrder={sort.onOrder}
            busy={q.status === "loading"}
          />
          <Pager loc={loc} shown={q.data.images.length} next={q.data.nextPageToken} noun="images" />
        </>
      )}
    </>
  );
}
