// The app against an in-memory Connect server (createRouterTransport):
// real request and response encoding, handlers written per test.
import { Code, ConnectError, type ConnectRouter, type HandlerContext, createRouterTransport } from "@connectrpc/connect";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authInterceptor, newApi } from "./api";
import { App } from "./app";
import { AdminService, LicenseSource, RegistrationTokenState } from "./gen/runwatch/v1/admin_pb";
import { AuthService, PrincipalKind, Role } from "./gen/runwatch/v1/auth_pb";
import { InventoryService } from "./gen/runwatch/v1/inventory_pb";
import { navigate } from "./router";
import { Session } from "./session";

const TOKEN = "admin-token-0123456789";

// cookie stands in for the browser's session cookie, which an in-memory
// transport does not carry: Login sets it, Logout clears it.
let cookie = false;

function checkToken(ctx: HandlerContext) {
  const auth = ctx.requestHeader.get("Authorization");
  if (auth === `Bearer ${TOKEN}` || (!auth && cookie)) return;
  throw new ConnectError(auth ? "token is expired" : "no credentials", Code.Unauthenticated);
}

// authService answers like the platform's for one admin and one viewer.
function authService(r: ConnectRouter) {
  r.service(AuthService, {
    login: (req) => {
      if (req.password !== "correct horse battery") throw new ConnectError("wrong username or password", Code.Unauthenticated);
      cookie = true;
      viewer = req.username === "val";
      return { user: { username: req.username, role: viewer ? Role.VIEWER : Role.ADMIN } };
    },
    logout: () => {
      cookie = false;
      return {};
    },
    getSession: (_, ctx) => {
      checkToken(ctx);
      return cookie
        ? { kind: PrincipalKind.USER, user: { username: viewer ? "val" : "admin" }, role: viewer ? Role.VIEWER : Role.ADMIN }
        : { kind: PrincipalKind.ADMIN_TOKEN, role: Role.ADMIN };
    },
  });
}
let viewer = false;

function workload(i: number, ns = "shop") {
  return { clusterId: "c1", clusterName: "prod", uid: `uid-${i}`, kind: "Deployment", namespace: ns, name: `svc-${i}`, pods: 2n, processes: BigInt(10 * i), images: [], nodes: ["n1"] };
}

function setup(routes: (r: ConnectRouter) => void, signedIn = true) {
  const session = new Session(sessionStorage);
  if (signedIn) session.signIn(TOKEN);
  const transport = createRouterTransport(
    (r) => {
      authService(r);
      routes(r);
    },
    { transport: { interceptors: [authInterceptor(session)] } },
  );
  render(<App api={newApi(transport, session)} />);
  return session;
}

beforeEach(() => {
  cookie = false;
  viewer = false;
  sessionStorage.clear();
  navigate("/", { replace: true });
});
afterEach(cleanup);

describe("sign-in", () => {
  const overviewRoutes = (r: ConnectRouter) =>
    r.service(InventoryService, { getOverview: (_, ctx) => (checkToken(ctx), { clusters: 2n, workloads: 7n }), listClusters: () => ({}) });

  it("signs in with a password, shows who is signed in, and signs out", async () => {
    setup(overviewRoutes, false);
    const user = await screen.findByLabelText("Username");
    fireEvent.input(user, { target: { value: "admin" } });
    fireEvent.input(screen.getByLabelText("Password"), { target: { value: "wrong" } });
    fireEvent.submit(user.closest("form")!);
    await screen.findByText("Wrong username or password.");

    fireEvent.input(screen.getByLabelText("Password"), { target: { value: "correct horse battery" } });
    fireEvent.submit(user.closest("form")!);
    await screen.findByRole("heading", { name: "Overview", level: 1 });
    expect(sessionStorage.getItem("runwatch.token")).toBeNull(); // the cookie speaks
    await waitFor(() => expect(document.querySelector(".me")?.textContent).toContain("admin"));

    fireEvent.click(screen.getByRole("button", { name: "Sign out" }));
    await screen.findByLabelText("Username");
    expect(cookie).toBe(false);
  });

  it("finds a cookie session left from earlier without asking", async () => {
    cookie = true;
    setup(overviewRoutes, false);
    await screen.findByRole("heading", { name: "Overview", level: 1 });
  });

  it("refuses a wrong token and signs in with the right one", async () => {
    setup(overviewRoutes, false);
    fireEvent.click(await screen.findByRole("button", { name: "Use an API token instead" }));
    const input = screen.getByLabelText("API token");
    fireEvent.input(input, { target: { value: "wrong" } });
    fireEvent.submit(input.closest("form")!);
    await screen.findByText("That token was refused: it is expired or wrong.");
    expect(sessionStorage.getItem("runwatch.token")).toBeNull();

    fireEvent.input(input, { target: { value: TOKEN } });
    fireEvent.submit(input.closest("form")!);
    await screen.findByRole("heading", { name: "Overview", level: 1 });
    expect(sessionStorage.getItem("runwatch.token")).toBe(TOKEN);
    const clusters = await screen.findByText("Clusters", { selector: ".stat-label" });
    expect(clusters.previousElementSibling?.textContent).toBe("2");
  });

  it("a token refused mid-session brings back the sign-in page, saying why", async () => {
    const session = setup((r) =>
      r.service(InventoryService, {
        listWorkloads: () => {
          throw new ConnectError("registration token expired at 2026-01-01", Code.Unauthenticated);
        },
      }),
    );
    navigate("/workloads");
    await screen.findByText("Your token was refused: it is expired, revoked or wrong.");
    expect(screen.getByText(/registration token expired at 2026-01-01/)).toBeTruthy();
    expect(session.state().kind).toBe("rejected");
  });
});

describe("workloads", () => {
  it("shows rows, filters through the URL, and pages", async () => {
    const seen: { namespace: string; token: string }[] = [];
    setup((r) =>
      r.service(InventoryService, {
        listWorkloads: (req) => {
          seen.push({ namespace: req.filter?.namespace ?? "", token: req.page?.token ?? "" });
          if (req.filter?.namespace === "empty") return {};
          return req.page?.token
            ? { workloads: [workload(99)] }
            : { workloads: [workload(1), workload(2)], nextPageToken: "next-1" };
        },
      }),
    );
    navigate("/workloads");
    const table = await screen.findByRole("table", { name: "Workloads" });
    expect(within(table).getAllByRole("row")).toHaveLength(3); // header and two rows
    expect(within(table).getByText("svc-2")).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByText("svc-99");
    expect(new URLSearchParams(window.location.search).get("page")).toBe("next-1");
    fireEvent.click(screen.getByRole("button", { name: "Previous" }));
    await screen.findByText("svc-1");

    const ns = screen.getByLabelText("Namespace");
    fireEvent.input(ns, { target: { value: "empty" } });
    fireEvent.submit(ns.closest("form")!);
    await screen.findByText("No workloads match");
    expect(window.location.search).toBe("?namespace=empty");
    expect(seen.at(-1)).toEqual({ namespace: "empty", token: "" });
  });

  it("sorts through the platform: the order goes to the API and the URL, pages start again", async () => {
    const orders: { orderBy: string; token: string }[] = [];
    setup((r) =>
      r.service(InventoryService, {
        listWorkloads: (req) => {
          orders.push({ orderBy: req.orderBy, token: req.page?.token ?? "" });
          // The platform's answer is the order: the UI must show it as is.
          if (req.orderBy === "name") return { workloads: [workload(7), workload(3)], nextPageToken: "by-name-2" };
          if (req.orderBy === "kind") return { workloads: [workload(4)] };
          return req.page?.token ? { workloads: [workload(9)] } : { workloads: [workload(2), workload(1)], nextPageToken: "default-2" };
        },
      }),
    );
    navigate("/workloads?namespace=shop");
    const table = await screen.findByRole("table", { name: "Workloads" });
    // The default order is the namespace column's.
    expect(within(table).getByRole("columnheader", { name: /Namespace/ }).getAttribute("aria-sort")).toBe("ascending");
    // Columns the platform cannot sort by have no sort button.
    expect(within(table).queryByRole("button", { name: "Processes" })).toBeNull();
    expect(within(table).queryByRole("button", { name: "Pods" })).toBeNull();
    expect(within(table).getByRole("columnheader", { name: "Processes" }).getAttribute("aria-sort")).toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await screen.findByText("svc-9");
    fireEvent.click(within(table).getByRole("button", { name: "Workload" }));
    await screen.findByText("svc-7");
    const params = new URLSearchParams(window.location.search);
    expect(params.get("sort")).toBe("name");
    expect(params.get("page")).toBeNull(); // a page token belongs to its order
    expect(params.get("namespace")).toBe("shop");
    expect(orders.at(-1)).toEqual({ orderBy: "name", token: "" });
    expect(within(table).getAllByText(/^svc-\d$/).map((e) => e.textContent)).toEqual(["svc-7", "svc-3"]);
    expect(within(table).getByRole("columnheader", { name: /Workload/ }).getAttribute("aria-sort")).toBe("ascending");
    expect(within(table).getByRole("columnheader", { name: /Namespace/ }).getAttribute("aria-sort")).toBeNull();

    // Pages of a sorted list carry its order.
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    await waitFor(() => expect(orders.at(-1)).toEqual({ orderBy: "name", token: "by-name-2" }));

    // "Last seen" sorts newest first: descending.
    fireEvent.click(within(table).getByRole("button", { name: "Last seen" }));
    await waitFor(() => expect(orders.at(-1)).toEqual({ orderBy: "-last_seen", token: "" }));
    expect(within(table).getByRole("columnheader", { name: /Last seen/ }).getAttribute("aria-sort")).toBe("descending");

    // Orders no column shows are in the select.
    const select = screen.getByLabelText("Sort workloads by") as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["", "name", "kind", "cluster", "-first_seen", "-last_seen"]);
    fireEvent.change(select, { target: { value: "kind" } });
    await screen.findByText("svc-4");
    expect(orders.at(-1)).toEqual({ orderBy: "kind", token: "" });
    expect(new URLSearchParams(window.location.search).get("sort")).toBe("kind");

    // A link with an order the platform does not have asks for the default.
    navigate("/workloads?sort=processes&dir=desc");
    await waitFor(() => expect(orders.at(-1)).toEqual({ orderBy: "", token: "" }));
  });

  it("expands a row into its processes", async () => {
    setup((r) =>
      r.service(InventoryService, {
        listWorkloads: () => ({ workloads: [workload(1), workload(3), workload(2)] }),
        listProcesses: (req) => ({
          processes: [{ clusterId: "c1", clusterName: "prod", nodeName: "n1", executablePath: `/usr/bin/for-${req.filter?.workload}`, count: 1n }],
        }),
      }),
    );
    navigate("/workloads");
    const table = await screen.findByRole("table", { name: "Workloads" });
    const expander = within(table).getByRole("button", { name: "Processes of Deployment shop/svc-2" });
    fireEvent.click(expander);
    await screen.findByText("/usr/bin/for-uid-2");
    expect(expander.getAttribute("aria-expanded")).toBe("true");
    expect(new URLSearchParams(window.location.search).get("open")).toBe("c1/uid-2");
  });

  it("shows what the platform said when a request fails, and retries", async () => {
    let calls = 0;
    setup((r) =>
      r.service(InventoryService, {
        listWorkloads: () => {
          calls++;
          if (calls === 1) throw new ConnectError("page token does not belong to this list", Code.InvalidArgument);
          return { workloads: [workload(5)] };
        },
      }),
    );
    navigate("/workloads?page=stale");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The platform refused this request");
    expect(alert.textContent).toContain("page token does not belong to this list");
    fireEvent.click(within(alert).getByRole("button", { name: "Try again" }));
    await screen.findByText("svc-5");
  });
});

describe("settings", () => {
  it("creates a token, shows it once with the install command, and revokes it", async () => {
    const tokens = [{ id: "t1", clusterName: "prod", state: RegistrationTokenState.ACTIVE }];
    const ttls: bigint[] = [];
    setup((r) =>
      r.service(AdminService, {
        listRegistrationTokens: () => ({ registrationTokens: tokens }),
        createRegistrationToken: (req) => {
          ttls.push(req.ttl?.seconds ?? 0n);
          if (!req.clusterName) throw new ConnectError("cluster_name is required", Code.InvalidArgument);
          tokens.push({ id: "t2", clusterName: req.clusterName, state: RegistrationTokenState.ACTIVE });
          return { token: "rwr_t2_s3cret", registrationToken: { id: "t2", clusterName: req.clusterName } };
        },
        revokeRegistrationToken: (req) => {
          tokens.find((t) => t.id === req.id)!.state = RegistrationTokenState.REVOKED;
          return {};
        },
      }),
    );
    navigate("/settings");
    await screen.findByRole("table", { name: "Registration tokens" });
    const name = screen.getByLabelText("Cluster name");
    fireEvent.input(name, { target: { value: "qa" } });
    fireEvent.submit(name.closest("form")!);
    const created = await screen.findByRole("region", { name: "New registration token" });
    expect(within(created).getByTestId("new-token").textContent).toBe("rwr_t2_s3cret");
    expect(created.querySelector("pre")!.textContent).toContain("--set platform.token=rwr_t2_s3cret");
    expect(created.querySelector("pre")!.textContent).toContain("--set clusterName=qa");
    expect(ttls).toEqual([365n * 86400n]); // valid for a year unless chosen otherwise

    fireEvent.click(await screen.findByRole("button", { name: "Revoke token t2 of qa" }));
    fireEvent.click(screen.getByRole("button", { name: "Revoke now" }));
    await waitFor(() => expect(screen.getAllByText("revoked")).toHaveLength(1));
  });
});

describe("roles and entitlement", () => {
  it("a viewer is not offered what only admins may do", async () => {
    cookie = true;
    viewer = true;
    setup((r) => r.service(AdminService, { listAPITokens: () => ({}) }), false);
    navigate("/settings");
    const nav = await screen.findByRole("navigation", { name: "Settings sections" });
    await waitFor(() => expect(within(nav).queryByRole("link", { name: "Registration tokens" })).toBeNull());
    expect(within(nav).queryByRole("link", { name: "Users" })).toBeNull();
    expect(within(nav).getByRole("link", { name: "API tokens" }).getAttribute("aria-current")).toBe("page");
    await screen.findByText("No API tokens yet");
    // A viewer's API token can only be a viewer's.
    expect(screen.getAllByRole("option").map((o) => o.textContent)).not.toContain("admin");
  });

  it("the overview shows nodes in operation against the licence", async () => {
    setup((r) => {
      r.service(InventoryService, { getOverview: () => ({ nodes: { total: 12n, running: 10n, restricted: 2n } }), listClusters: () => ({}) });
      r.service(AdminService, {
        getLicense: () => ({ license: { source: LicenseSource.LICENSE, sensorNodes: 10n, sensorsLicensed: true }, nodesInOperation: 12n, nodesRestricted: 2n }),
      });
    });
    const meter = await screen.findByRole("meter", { name: "Sensor nodes used of the licence" });
    expect(meter.getAttribute("aria-valuetext")).toBe("12 of 10 licensed nodes");
    expect(meter.className).toContain("over");
  });
});
