// View state shared by the list pages: the order the platform sorts a
// list in and the open (expanded) rows, both kept in the URL.
import { type Location, hrefWith, navigate, setParams } from "../router";
import { type SortOption, orderFrom } from "../sorts";

// sorting is a list's order from the URL and how to change it. Another
// order is another list: it starts again at the first page, since page
// tokens belong to the order they were made for.
export function sorting(loc: Location, options: SortOption[]): { order: string; onOrder: (order: string) => void } {
  return {
    order: orderFrom(loc.params, options).order,
    onOrder: (order: string) => setParams(loc, { sort: order || undefined }),
  };
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
