// The orders the platform sorts each list by (the order_by of its List
// RPC). The platform sorts the whole list, across pages, so a sort is only
// offered where it can do it; each name sorts in one direction, shown by
// its leading "-" (descending). The empty name is the list's default.
export interface SortOption {
  order: string;
  label: string;
}

export type SortDir = "asc" | "desc";

export const dirOf = (order: string): SortDir => (order.startsWith("-") ? "desc" : "asc");

export const WORKLOAD_SORTS: SortOption[] = [
  { order: "", label: "Namespace, then name" },
  { order: "name", label: "Name" },
  { order: "kind", label: "Kind" },
  { order: "cluster", label: "Cluster" },
  { order: "-first_seen", label: "First seen, newest first" },
  { order: "-last_seen", label: "Last seen, newest first" },
];

export const IMAGE_SORTS: SortOption[] = [
  { order: "", label: "Repository" },
  { order: "-first_seen", label: "First seen, newest first" },
  { order: "-last_seen", label: "Last seen, newest first" },
];

export const PROCESS_SORTS: SortOption[] = [
  { order: "", label: "Last seen, newest first" },
  { order: "-first_seen", label: "First seen, newest first" },
  { order: "-count", label: "Most runs first" },
  { order: "path", label: "Path" },
];

export const NODE_SORTS: SortOption[] = [
  { order: "", label: "Cluster, then name" },
  { order: "name", label: "Name" },
  { order: "-last_heartbeat", label: "Last heartbeat, newest first" },
];

// orderFrom reads the order of a list from the URL's "sort" parameter. A
// name the list does not offer (an old or edited link) is its default, so
// a link never turns into a refused request.
export function orderFrom(params: URLSearchParams, options: SortOption[]): SortOption {
  const want = params.get("sort") ?? "";
  return options.find((o) => o.order === want) ?? options[0];
}
