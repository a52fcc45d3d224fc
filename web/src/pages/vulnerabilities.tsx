// Vulnerabilities: the funnel and the list come from enrichment, which
// this platform does not report yet. What it does report is the runtime
// evidence applicability is decided on: the files loaded into processes
// and the packages they belong to.
import { useApi } from "../api";
import { FilterBar } from "../components/filters";
import { Pager } from "../components/pager";
import { fileColumns, fileKey } from "../components/runtime";
import { Empty, ErrorBox, Loading, NotAvailable } from "../components/states";
import { DataTable } from "../components/table";
import { FileKind } from "../gen/runwatch/v1/runtime_types_pb";
import { useQuery } from "../hooks";
import { filterFromParams, pageFromParams, queryKey } from "../query";
import { type Location, setParams } from "../router";
import { onSort, sortOf } from "./common";

const DEFAULT_WINDOW = "24h";
const KINDS: { key: string; label: string; value: FileKind }[] = [
  { key: "", label: "Any kind", value: FileKind.UNSPECIFIED },
  { key: "executable", label: "Executables", value: FileKind.EXECUTABLE },
  { key: "library", label: "Shared libraries", value: FileKind.SHARED_LIBRARY },
  { key: "jar", label: "Java archives", value: FileKind.JAR },
  { key: "script", label: "Scripts", value: FileKind.SCRIPT },
  { key: "module", label: "Interpreted modules", value: FileKind.INTERPRETED_MODULE },
];

export function Vulnerabilities({ loc }: { loc: Location }) {
  const api = useApi();
  const filter = filterFromParams(loc.params, DEFAULT_WINDOW);
  const kind = KINDS.find((k) => k.key === (loc.params.get("kind") ?? "")) ?? KINDS[0];
  const purl = loc.params.get("purl")?.trim() ?? "";
  const q = useQuery(queryKey("files", loc.params, ["kind", "purl"]), (signal) =>
    api.inventory.listLoadedFiles({ filter, page: pageFromParams(loc.params), kind: kind.value, packagePurl: purl }, { signal }),
  );
  return (
    <>
      <header class="page-head">
        <h1>Vulnerabilities</h1>
        <p class="lede">Which vulnerabilities are real: those of code that is actually loaded at runtime.</p>
      </header>
      <div class="grid2">
        <section class="card" aria-labelledby="vf-h">
          <h2 id="vf-h">Funnel</h2>
          <NotAvailable what="All → critical & high → with a fix → applicable">
            Appears once the platform is connected to vulnerability data.
          </NotAvailable>
        </section>
        <section class="card" aria-labelledby="vl-h">
          <h2 id="vl-h">Vulnerability list</h2>
          <NotAvailable what="Filter by CVE, severity, component and applicability">
            The list, applicable first, appears with the funnel.
          </NotAvailable>
        </section>
      </div>
      <section class="section" aria-labelledby="lc-h">
        <h2 id="lc-h">Components loaded at runtime</h2>
        <p class="table-note">Files loaded into processes and the packages they belong to, newest first: the evidence of applicability.</p>
        <FilterBar
          loc={loc}
          fields={[
            { key: "purl", label: "Package URL", placeholder: "pkg:deb/debian/openssl", wide: true },
            { key: "text", label: "Path", placeholder: "libssl" },
            { key: "image", label: "Image" },
            { key: "workload", label: "Workload" },
            { key: "namespace", label: "Namespace" },
            { key: "cluster", label: "Cluster" },
          ]}
          defaultWindow={DEFAULT_WINDOW}
          extra={
            <label class="field">
              <span class="field-label">Kind</span>
              <select value={kind.key} onChange={(e) => setParams(loc, { kind: (e.currentTarget as HTMLSelectElement).value || undefined })}>
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
          <>
            <DataTable
              caption="Loaded files"
              columns={fileColumns()}
              rows={q.data.loadedFiles}
              rowKey={fileKey}
              sort={sortOf(loc)}
              onSort={onSort(loc)}
              busy={q.status === "loading"}
            />
            <Pager loc={loc} shown={q.data.loadedFiles.length} next={q.data.nextPageToken} noun="files" />
          </>
        )}
      </section>
    </>
  );
}
