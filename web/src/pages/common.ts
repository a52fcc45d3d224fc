// View state shared by the list pages: client-side sort of the loaded
// page and the open (expanded) rows, both kept in the URL.
import type { SortDir } from "../components/table";
import { type Location, hrefWith, navigate } from "../router";

export function sortOf(loc: Location): { key: string; dir: SortDir } | undefined {
  const key = loc.params.get("sort");
  if (!key) return undefined;
  return { key, dir: loc.params.get("dir") === "desc" ? "desc" : "asc" };
}

export function onSort(loc: Location) {
  return (key: string, dir: SortDir) => navigate(hrefWith(loc, { sort: key, dir }), { replace: true, state: loc.state });
}

export function openRows(loc: Location): Set<string> {
  return new Set((loc.params.get("open") ?? "").split(",").filter(Boolean));
}

export function toggleRow(loc: Location) {
  return (key: string) => {
    const open = openRows(loc);
    if (open.has(key)) open.delete(key);
    else open.add(key);
    navigate(hrefWith(loc, { open: [...open].join(",") }), { replace: true, state: loc.state });
  };
}
