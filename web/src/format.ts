// Formatting of API values for people.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";

const numFmt = new Intl.NumberFormat("en");

export function num(n: bigint | number | undefined): string {
  if (n === undefined) return "–";
  return numFmt.format(n);
}

export function isSet(ts: Timestamp | undefined): ts is Timestamp {
  return !!ts && (ts.seconds !== 0n || ts.nanos !== 0);
}

export function dateTime(ts: Timestamp | undefined): string {
  if (!isSet(ts)) return "never";
  return timestampDate(ts).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

// ago says how long ago a time was, coarsely: "just now", "5 min ago".
export function ago(ts: Timestamp | undefined, now: Date = new Date()): string {
  if (!isSet(ts)) return "never";
  const s = Math.round((now.getTime() - timestampDate(ts).getTime()) / 1000);
  if (s < -60) return "in the future";
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

// shortDigest keeps enough of a digest to tell images apart at a glance.
export function shortDigest(d: string): string {
  const m = /^sha256:([0-9a-f]{12})[0-9a-f]*$/.exec(d);
  return m ? `sha256:${m[1]}…` : d;
}

export function shortHash(h: string): string {
  return h.length > 16 ? h.slice(0, 12) + "…" : h;
}

// enumLabel turns a generated enum's value name (NOT_INSTALLED) into
// words ("not installed").
export function enumLabel(e: Record<number, string>, v: number): string {
  const name = e[v];
  return !name || name === "UNSPECIFIED" ? "unknown" : name.toLowerCase().replace(/_/g, " ");
}

export function plural(n: number | bigint, one: string, many = one + "s"): string {
  return `${num(n)} ${n === 1 || n === 1n ? one : many}`;
}
