import { describe, expect, it } from "vitest";
import { IMAGE_SORTS, NODE_SORTS, PROCESS_SORTS, WORKLOAD_SORTS, dirOf, orderFrom } from "./sorts";

describe("orderFrom", () => {
  const cases: { name: string; qs: string; want: string }[] = [
    { name: "no sort is the default order", qs: "", want: "" },
    { name: "an order the platform offers", qs: "sort=-count", want: "-count" },
    { name: "an ascending order", qs: "sort=path", want: "path" },
    // Links from before the platform sorted (a column key and a direction)
    // and edited links fall back to the default rather than a refusal.
    { name: "an old column-and-direction link", qs: "sort=processes&dir=desc", want: "" },
    { name: "the other direction of an order", qs: "sort=count", want: "" },
  ];
  for (const c of cases) it(c.name, () => expect(orderFrom(new URLSearchParams(c.qs), PROCESS_SORTS).order).toBe(c.want));
});

describe("the lists' orders", () => {
  // The names the platform accepts (domain/query/sort.go); a name it does
  // not know would be refused with InvalidArgument.
  const platform: Record<string, string[]> = {
    workloads: ["", "name", "kind", "cluster", "-first_seen", "-last_seen"],
    images: ["", "-first_seen", "-last_seen"],
    processes: ["", "-first_seen", "-count", "path"],
    nodes: ["", "name", "-last_heartbeat"],
  };
  const ours = { workloads: WORKLOAD_SORTS, images: IMAGE_SORTS, processes: PROCESS_SORTS, nodes: NODE_SORTS };
  for (const [list, names] of Object.entries(platform))
    it(`${list}: every order the platform has, the default first, each labelled once`, () => {
      const opts = ours[list as keyof typeof ours];
      expect(opts.map((o) => o.order)).toEqual(names);
      expect(new Set(opts.map((o) => o.label)).size).toBe(opts.length);
    });
  it("a leading minus is descending", () => {
    expect(dirOf("-count")).toBe("desc");
    expect(dirOf("path")).toBe("asc");
    expect(dirOf("")).toBe("asc");
  });
});
