import { describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { SensorStatus } from "./gen/runwatch/v1/runtime_types_pb";
import { ago, dateTime, enumLabel, num, shortDigest } from "./format";

const now = new Date("2026-11-26T12:00:00Z");
const before = (s: number) => timestampFromDate(new Date(now.getTime() - s * 1000));

describe("ago", () => {
  it.each([
    [undefined, "never"],
    [before(5), "just now"],
    [before(10 * 60), "10 min ago"],
    [before(3 * 3600), "3 h ago"],
    [before(4 * 86400), "4 d ago"],
    [before(-3600), "in the future"],
  ])("%#: %s", (ts, want) => expect(ago(ts, now)).toBe(want));
});

describe("formatting", () => {
  it("shortens digests only when they are digests", () => {
    expect(shortDigest("sha256:" + "ab".repeat(32))).toBe("sha256:abababababab…");
    expect(shortDigest("nginx:1.27")).toBe("nginx:1.27");
  });
  it("names enum values in words", () => {
    expect(enumLabel(SensorStatus, SensorStatus.NOT_INSTALLED)).toBe("not installed");
    expect(enumLabel(SensorStatus, SensorStatus.UNSPECIFIED)).toBe("unknown");
    expect(enumLabel(SensorStatus, 99)).toBe("unknown");
  });
  it("formats counts and times", () => {
    expect(num(50000n)).toBe("50,000");
    expect(dateTime(undefined)).toBe("never");
    expect(dateTime(timestampFromDate(now))).toBe("2026-11-26 12:00:00 UTC");
  });
});
