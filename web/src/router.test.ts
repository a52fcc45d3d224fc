import { beforeEach, describe, expect, it } from "vitest";
import { currentLocation, hrefWith, matchRoute, navigate, setParams } from "./router";

describe("matchRoute", () => {
  it.each([
    ["/", "/", {}],
    ["/workloads", "/workloads", {}],
    ["/workloads", "/workloads/", {}],
    ["/images/:digest", "/images/sha256%3Aabc", { digest: "sha256:abc" }],
    ["/images/:digest", "/images/sha256:abc", { digest: "sha256:abc" }],
    ["/images/:digest", "/images/", null],
    ["/images/:digest", "/images/a/b", null],
    ["/images/:digest", "/images/%E0%A4%A", null],
    ["/workloads", "/processes", null],
  ])("%s matches %s", (pattern, path, want) => expect(matchRoute(pattern, path)).toEqual(want));
});

describe("URL state", () => {
  beforeEach(() => navigate("/workloads?namespace=shop&page=tok2&size=100", { replace: true }));

  it("hrefWith sets and removes parameters", () => {
    const loc = currentLocation();
    expect(hrefWith(loc, { namespace: "pay" })).toBe("/workloads?namespace=pay&page=tok2&size=100");
    expect(hrefWith(loc, { namespace: "", page: undefined, size: undefined })).toBe("/workloads");
  });

  it("a filter change starts again at the first page; paging keeps the filters", () => {
    setParams(currentLocation(), { text: "web" });
    expect(window.location.search).toBe("?namespace=shop&size=100&text=web");
    setParams(currentLocation(), { page: "tok3" });
    expect(new URLSearchParams(window.location.search).get("page")).toBe("tok3");
    expect(new URLSearchParams(window.location.search).get("text")).toBe("web");
  });

  it("navigation state carries the previous page tokens", () => {
    navigate("/workloads?page=t3", { state: { prev: ["", "t2"] } });
    expect(currentLocation().state.prev).toEqual(["", "t2"]);
  });
});
