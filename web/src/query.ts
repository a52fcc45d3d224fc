// How a view's URL parameters become API filters and back.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type FilterSchema, TimeWindow } from "./gen/runwatch/v1/inventory_pb";

export interface WindowOption {
  key: string;
  label: string;
  value: TimeWindow;
}

export const WINDOWS: WindowOption[] = [
  { key: "now", label: "Running now", value: TimeWindow.TIME_WINDOW_NOW },
  { key: "1h", label: "Last hour", value: TimeWindow.TIME_WINDOW_1H },
  { key: "24h", label: "Last 24 hours", value: TimeWindow.TIME_WINDOW_24H },
  { key: "3d", label: "Last 3 days", value: TimeWindow.TIME_WINDOW_3D },
  { key: "7d", label: "Last 7 days", value: TimeWindow.TIME_WINDOW_7D },
  { key: "10d", label: "Last 10 days (all kept)", value: TimeWindow.TIME_WINDOW_10D },
];

export function windowOf(key: string | null, fallback: string): WindowOption {
  return WINDOWS.find((w) => w.key === key) ?? WINDOWS.find((w) => w.key === fallback)!;
}

// The filter parameters every list understands, in the order the filter
// bar shows them.
export const FILTER_KEYS = ["cluster", "namespace", "workload", "image", "node", "text"] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function filterFromParams(p: URLSearchParams, defaultWindow: string): MessageInitShape<typeof FilterSchema> {
  const f: MessageInitShape<typeof FilterSchema> = { window: windowOf(p.get("window"), defaultWindow).value };
  for (const k of FILTER_KEYS) {
    const v = p.get(k)?.trim();
    if (v) f[k] = v;
  }
  return f;
}

export const PAGE_SIZES = [50, 100, 200, 500, 1000];

export function pageFromParams(p: URLSearchParams): { size: number; token: string } {
  const n = Number(p.get("size"));
  return { size: PAGE_SIZES.includes(n) ? n : PAGE_SIZES[0], token: p.get("page") ?? "" };
}

// queryKey identifies a request for caching and refetching: the path and
// the parameters that reach the API (the order included: the platform
// sorts).
export function queryKey(name: string, p: URLSearchParams, extra: string[] = []): string {
  const keys = [...FILTER_KEYS, "window", "page", "size", "sort", ...extra];
  return name + "?" + keys.map((k) => `${k}=${p.get(k) ?? ""}`).join("&");
}
