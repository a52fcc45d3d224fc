import { beforeEach, describe, expect, it, vi } from "vitest";
import { Session } from "./session";

describe("Session", () => {
  beforeEach(() => sessionStorage.clear());

  it("starts by checking for a cookie session, or signed in when the tab has a token", () => {
    expect(new Session(sessionStorage).state().kind).toBe("checking");
    sessionStorage.setItem("runwatch.token", "t0ken");
    expect(new Session(sessionStorage).state()).toEqual({ kind: "signed-in", via: "token" });
  });

  it("keeps a token in sessionStorage and tells listeners", () => {
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

  it("a cookie session sends no token", () => {
    const s = new Session(sessionStorage);
    s.signIn("old");
    s.signedInWithCookie();
    expect(s.state()).toEqual({ kind: "signed-in", via: "cookie" });
    expect(s.token()).toBe("");
  });

  it("refused credentials are dropped and the reason kept", () => {
    const s = new Session(sessionStorage);
    s.signIn("old");
    s.reject("token expired");
    expect(s.state()).toEqual({ kind: "rejected", reason: "token expired", via: "token" });
    expect(sessionStorage.getItem("runwatch.token")).toBeNull();
    s.signedInWithCookie();
    s.reject("session expired");
    expect(s.state()).toEqual({ kind: "rejected", reason: "session expired", via: "cookie" });
  });

  it("no cookie session at start is signed out, not refused", () => {
    const s = new Session(sessionStorage);
    s.reject("no credentials");
    expect(s.state().kind).toBe("signed-out");
    s.reject("again");
    expect(s.state().kind).toBe("signed-out");
  });
});
