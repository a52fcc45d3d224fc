// DataTable: a real <table> with sortable headers (aria-sort) and rows
// that expand into a detail row (aria-expanded), usable by keyboard.
import type { ComponentChildren } from "preact";
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";

// useScrollable says whether an element scrolls sideways, so a table too
// wide for the screen can be reached and scrolled with the keyboard.
function useScrollable() {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollable, setScrollable] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrollable(el.scrollWidth > el.clientWidth + 1);
    check();
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(check);
    ro.observe(el);
    return () => ro.disconnect();
  });
  return [ref, scrollable] as const;
}

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  // Present when the column can be sorted; compares two rows ascending.
  compare?: (a: T, b: T) => number;
  class?: string;
}

export type SortDir = "asc" | "desc";

export interface DataTableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  sort?: { key: string; dir: SortDir };
  onSort?: (key: string, dir: SortDir) => void;
  // Rows with details: expanded holds the keys of open rows.
  expand?: {
    label: (row: T) => string;
    render: (row: T) => ComponentChildren;
    expanded: Set<string>;
    onToggle: (key: string) => void;
  };
  busy?: boolean;
}

export function sortRows<T>(rows: T[], columns: Column<T>[], sort?: { key: string; dir: SortDir }): T[] {
  const col = sort && columns.find((c) => c.key === sort.key && c.compare);
  if (!col || !col.compare) return rows;
  const cmp = col.compare;
  const sign = sort.dir === "desc" ? -1 : 1;
  // Array.prototype.sort is stable, so the server's order breaks ties.
  return [...rows].sort((a, b) => sign * cmp(a, b));
}

export function DataTable<T>(p: DataTableProps<T>) {
  const rows = sortRows(p.rows, p.columns, p.sort);
  const span = p.columns.length + (p.expand ? 1 : 0);
  const [wrap, scrollable] = useScrollable();
  return (
    <div
      class="table-wrap"
      ref={wrap}
      aria-busy={p.busy ? "true" : "false"}
      tabIndex={scrollable ? 0 : undefined}
      role={scrollable ? "region" : undefined}
      aria-label={scrollable ? `${p.caption}, scrolls sideways` : undefined}
    >
      <table class={p.busy ? "data busy" : "data"}>
        <caption class="sr-only">{p.caption}</caption>
        <thead>
          <tr>
            {p.expand && (
              <th scope="col" class="col-expand">
                <span class="sr-only">Details</span>
              </th>
            )}
            {p.columns.map((c) => {
              const active = p.sort?.key === c.key;
              const ariaSort = active ? (p.sort!.dir === "asc" ? "ascending" : "descending") : undefined;
              return (
                <th scope="col" key={c.key} class={c.class} aria-sort={ariaSort}>
                  {c.compare && p.onSort ? (
                    <button
                      type="button"
                      class="sort"
                      onClick={() => p.onSort!(c.key, active && p.sort!.dir === "asc" ? "desc" : "asc")}
                    >
                      {c.label}
                      <span class="sort-mark" aria-hidden="true">
                        {active ? (p.sort!.dir === "asc" ? "▲" : "▼") : "↕"}
                      </span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const key = p.rowKey(row);
            const open = p.expand?.expanded.has(key) ?? false;
            const detailId = `detail-${cssId(key)}`;
            return (
              <Fragment key={key}>
                <tr class={open ? "open" : undefined}>
                  {p.expand && (
                    <td class="col-expand">
                      <button
                        type="button"
                        class="expander"
                        aria-expanded={open ? "true" : "false"}
                        aria-controls={open ? detailId : undefined}
                        aria-label={p.expand.label(row)}
                        onClick={() => p.expand!.onToggle(key)}
                      >
                        <span aria-hidden="true">{open ? "▾" : "▸"}</span>
                      </button>
                    </td>
                  )}
                  {p.columns.map((c) => (
                    <td key={c.key} class={c.class}>
                      {c.render(row)}
                    </td>
                  ))}
                </tr>
                {open && (
                  <tr class="detail-row" id={detailId}>
                    <td colSpan={span}>{p.expand!.render(row)}</td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function cssId(s: string): string {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

export const byString =
  <T,>(f: (r: T) => string) =>
  (a: T, b: T) =>
    f(a).localeCompare(f(b));

export const byNumber =
  <T,>(f: (r: T) => bigint | number) =>
  (a: T, b: T) => {
    const x = f(a),
      y = f(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
