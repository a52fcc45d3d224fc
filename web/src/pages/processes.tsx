import { useApi } from "../api";
import { FilterBar } from "../components/filters";
import { Pager } from "../components/pager";
import { ProcessDetails, ProcessTable } from "../components/runtime";
import { Empty, ErrorBox, Loading } from "../components/states";
import { useQuery } from "../hooks";
import { filterFromParams, pageFromParams, queryKey } from "../query";
import { type Location, setParams } from "../router";
import { SortNote } from "../components/sort";
import { PROCESS_SORTS } from "../sorts";
import { openRows, sorting, toggleRow } from "./common";

const DEFAULT_WINDOW = "24h";

export function Processes({ loc }: { loc: Location }) {
  const api = useApi();
  const filter = filterFromParams(loc.params, DEFAULT_WINDOW);
  const sha256 = (loc.params.get("sha256") ?? "").trim().toLowerCase();
  const driftOnly = loc.params.get("drift") === "1";
  const sort = sorting(loc, PROCESS_SORTS);
  const q = useQuery(queryKey("processes", loc.params, ["sha256", "drift"]), (signal) =>
    api.inventory.listProcesses({ filter, page: pageFromParams(loc.params), sha256, driftOnly, orderBy: sort.order }, { signal }),
  );
  return (
    <>
      <header class="page-head">
        <h1>Processes</h1>
        <p class="lede">Every executable run in a container, per container, path and hash.</p>
      </header>
      <FilterBar
        loc={loc}
        fields={[
          { key: "text", label: "Path or name", placeholder: "/usr/bin/curl", wide: true },
          { key: "sha256", label: "SHA-256", placeholder: "exact hash" },
          { key: "image", label: "Image", placeholder: "digest or reference" },
          { key: "workload", label: "Workload", placeholder: "name or uid" },
          { key: "namespace", label: "Namespace" },
          { key: "cluster", label: "Cluster" },
          { key: "node", label: "Node" },
        ]}
        defaultWindow={DEFAULT_WINDOW}
        windowHint="When the process was last seen"
        extra={
          <label class="check">
            <input
              type="checkbox"
              checked={driftOnly}
              onChange={(e) => setParams(loc, { drift: (e.currentTarget as HTMLInputElement).checked ? "1" : undefined })}
            />
            Drift only
          </label>
        }
      />
      {q.status === "error" && <ErrorBox error={q.error} retry={q.reload} />}
      {!q.data && q.status === "loading" && <Loading label="Loading processes" />}
      {q.data && q.data.processes.length === 0 && (
        <Empty title="No processes match">Try a wider time window, or clear the filters. Processes appear when sensors report.</Empty>
      )}
      {q.data && q.data.processes.length > 0 && (
        <>
          <SortNote options={PROCESS_SORTS} {...sort} noun="processes" />
          <ProcessTable
            caption="Processes"
            rows={q.data.processes}
            order={sort.order}
            onOrder={sort.onOrder}
            busy={q.status === "loading"}
            expand={{
              label: (p) => `Details of ${p.executablePath}`,
              expanded: openRows(loc),
              onToggle: toggleRow(loc),
              render: (p) => <ProcessDetails p={p} />,
            }}
          />
          <Pager loc={loc} shown={q.data.processes.length} next={q.data.nextPageToken} noun="processes" />
        </>
      )}
    </>
  );
}
