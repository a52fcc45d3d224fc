import { beforeEach, describe, expect, it, vi } from "vitest";
import { Session } from "./session";

describe("Session", () => {
  beforeEach(() => sessionStorage.clear());

  it("starts signed out, or signed in when the tab has a token", () => {
    expect(new Session(sessionStorage).state().kind).toBe("signed-out");
    sessionStorage.setItem("runwatch.token", "t0ken");
    expect(new Session(sessionStorage).state().kind).toBe("signed-in");
  });

  it("keeps the token in sessionStorage and tells listeners", () => {
    const s = new Session(sessionStorage);
    const fn = vi.fn();
    s.subscribe(fn);
    s.signIn("  secret  ");
    expect(s.token()).toBe("secret");
    expect(sessionStorage.getItem("runwatch.token")).toBe("secret");
    s.signOut();
    expect(s.token()).toBe("");
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("a refused token is dropped and the reason kept", () => {
    const s = new Session(sessionStorage);
    s.signIn("old");
    s.reject("token expired");
    expect(s.state()).toEqual({ kind: "rejected", reason: "token expired" });
    expect(sessionStorage.getItem("runwatch.token")).toBeNull();
  });

  it("a refusal while signed out changes nothing (the sign-in check reports it)", () => {
    const s = new Session(sessionStorage);
    s.reject("unauthenticated");
    expect(s.state().kind).toBe("signed-out");
  });
});
