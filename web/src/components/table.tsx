// DataTable: a real <table> with sortable headers (aria-sort) and rows
// that expand into a detail row (aria-expanded), usable by keyboard.
// Sorting is the platform's: a header asks for the list in the column's
// order (the List RPC's order_by), so the whole list is sorted, not the
// rows on screen.
import type { ComponentChildren } from "preact";
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { dirOf } from "../sorts";

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
  // The list's order_by that sorts by this column, when the platform can
  // ("" is the list's default order; a leading "-" is descending).
  order?: string;
  class?: string;
}

export interface DataTableProps<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  // The order the rows are in, and how to ask for another.
  order?: string;
  onOrder?: (order: string) => void;
  // Rows with details: expanded holds the keys of open rows.
  expand?: {
    label: (row: T) => string;
    render: (row: T) => ComponentChildren;
    expanded: Set<string>;
    onToggle: (key: string) => void;
  };
  busy?: boolean;
}

export function DataTable<T>(p: DataTableProps<T>) {
  const rows = p.rows;
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
              const sortable = c.order !== undefined && p.onOrder !== undefined;
              const active = sortable && p.order === c.order;
              const dir = sortable ? dirOf(c.order!) : "asc";
              return (
                <th scope="col" key={c.key} class={c.class} aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : undefined}>
                  {sortable ? (
                    <button type="button" class={active ? "sort active" : "sort"} onClick={() => p.onOrder!(c.order!)}>
                      {c.label}
                      <span class="sort-mark" aria-hidden="true">
                        {dir === "asc" ? "▲" : "▼"}
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
