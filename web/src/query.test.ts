import { describe, expect, it } from "vitest";
import { TimeWindow } from "./gen/runwatch/v1/inventory_pb";
import { filterFromParams, pageFromParams, queryKey, windowOf } from "./query";

describe("filterFromParams", () => {
  const cases: { name: string; qs: string; def: string; want: Record<string, unknown> }[] = [
    { name: "defaults to the page's window", qs: "", def: "now", want: { window: TimeWindow.TIME_WINDOW_NOW } },
    { name: "reads every filter", qs: "cluster=prod&namespace=shop&workload=web&image=nginx&node=n1&text=curl&window=1h", def: "now",
      want: { cluster: "prod", namespace: "shop", workload: "web", image: "nginx", node: "n1", text: "curl", window: TimeWindow.TIME_WINDOW_1H } },
    { name: "trims and drops blank values", qs: "namespace=%20shop%20&text=%20%20", def: "24h", want: { namespace: "shop", window: TimeWindow.TIME_WINDOW_24H } },
    { name: "an unknown window falls back", qs: "window=5y", def: "24h", want: { window: TimeWindow.TIME_WINDOW_24H } },
    { name: "ignores parameters that are not filters", qs: "sort=name&open=a,b&page=tok", def: "10d", want: { window: TimeWindow.TIME_WINDOW_10D } },
  ];
  for (const c of cases) it(c.name, () => expect(filterFromParams(new URLSearchParams(c.qs), c.def)).toEqual(c.want));
});

describe("pageFromParams", () => {
  it.each([
    ["", { size: 50, token: "" }],
    ["size=200&page=abc", { size: 200, token: "abc" }],
    ["size=7", { size: 50, token: "" }],
    ["size=100000", { size: 50, token: "" }],
    ["size=-1", { size: 50, token: "" }],
  ])("%s", (qs, want) => expect(pageFromParams(new URLSearchParams(qs))).toEqual(want));
});

describe("windowOf and queryKey", () => {
  it("finds windows by key", () => {
    expect(windowOf("7d", "now").value).toBe(TimeWindow.TIME_WINDOW_7D);
    expect(windowOf(null, "now").key).toBe("now");
  });
  it("changes with what reaches the API, not with view-only state", () => {
    const a = queryKey("w", new URLSearchParams("namespace=shop&sort=name"));
    expect(queryKey("w", new URLSearchParams("namespace=shop&sort=name&open=x&tab=y"))).toBe(a);
    // The platform sorts, so the order is part of the request.
    expect(queryKey("w", new URLSearchParams("namespace=shop&sort=-last_seen"))).not.toBe(a);
    expect(queryKey("w", new URLSearchParams("namespace=pay"))).not.toBe(a);
    expect(queryKey("w", new URLSearchParams("namespace=shop&page=t2"))).not.toBe(a);
    expect(queryKey("p", new URLSearchParams("drift=1"), ["drift"])).not.toBe(queryKey("p", new URLSearchParams(""), ["drift"]));
  });
});
