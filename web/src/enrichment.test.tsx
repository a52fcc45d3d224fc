// The enrichment views against an in-memory Connect server.
import { type ConnectRouter, createRouterTransport } from "@connectrpc/connect";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authInterceptor, newApi } from "./api";
import { App } from "./app";
import { AdminService } from "./gen/runwatch/v1/admin_pb";
import { AuthService, PrincipalKind, Role } from "./gen/runwatch/v1/auth_pb";
import { Applicability, EnrichmentStatus, IntegrationKind, RiskKind, Severity, Trust } from "./gen/runwatch/v1/enrichment_pb";
import { InventoryService } from "./gen/runwatch/v1/inventory_pb";
import { navigate } from "./router";
import { Session } from "./session";

const DIGEST = "sha256:" + "ab".repeat(32);

function setup(routes: (r: ConnectRouter) => void) {
  const session = new Session(sessionStorage);
  session.signIn("token-0123456789");
  const transport = createRouterTransport(
    (r) => {
      r.service(AuthService, { getSession: () => ({ kind: PrincipalKind.ADMIN_TOKEN, role: Role.ADMIN }) });
      routes(r);
    },
    { transport: { interceptors: [authInterceptor(session)] } },
  );
  render(<App api={newApi(transport, session)} />);
}

beforeEach(() => {
  sessionStorage.clear();
  navigate("/", { replace: true });
});
afterEach(cleanup);

const vuln = (id: string, a: Applicability, severity = Severity.HIGH) => ({
  id,
  aliases: ["CVE-" + id],
  severity,
  cvssScore: 7.5,
  component: "pkg:golang/golang.org/x/text@v0.3.5",
  fixedVersions: ["0.3.8"],
  applicability: a,
  imageDigest: DIGEST,
  evidence: a === Applicability.APPLICABLE ? { matchedBy: "sha256", path: "/app/server" } : undefined,
});

describe("vulnerabilities", () => {
  it("sends the filters from the URL and shows the funnel and the list", async () => {
    const seen: unknown[] = [];
    setup((r) =>
      r.service(InventoryService, {
        listVulnerabilities: (req) => {
          seen.push(req.filter);
          return {
            vulnerabilities: [vuln("GO-2022-1059", Applicability.APPLICABLE)],
            total: 1n,
            funnel: { all: 12n, criticalHigh: 5n, withFix: 4n, applicable: 1n },
            sources: [{ name: "Go vulnerability database", attribution: "the Go Authors, CC-BY-4.0", records: 4789n }],
          };
        },
        listLoadedFiles: () => ({}),
      }),
    );
    navigate("/vulnerabilities?id=CVE-2022-32149&severity=high&applicability=applicable&fix=1&component=pkg:golang/");
    const table = await screen.findByRole("table", { name: "Vulnerabilities" });
    expect(within(table).getByText("GO-2022-1059")).toBeTruthy();
    expect(within(table).getByText("applicable")).toBeTruthy();
    const funnel = screen.getByRole("img", { name: /Vulnerability funnel/ });
    expect(funnel.getAttribute("aria-label")).toBe("Vulnerability funnel: 12 in all, 5 critical or high, 4 of them with a fix, 1 of those applicable at runtime");
    expect(screen.getByText(/Go vulnerability database \(4,789 records, the Go Authors, CC-BY-4.0\)/)).toBeTruthy();
    expect(seen.at(-1)).toMatchObject({
      id: "CVE-2022-32149",
      minSeverity: Severity.HIGH,
      applicability: Applicability.APPLICABLE,
      withFixOnly: true,
      component: "pkg:golang/",
    });
    // Changing a select changes the URL, and the request.
    fireEvent.change(screen.getByLabelText("Severity"), { target: { value: "critical" } });
    await waitFor(() => expect(seen.at(-1)).toMatchObject({ minSeverity: Severity.CRITICAL }));
    expect(new URLSearchParams(window.location.search).get("severity")).toBe("critical");
  });
});

describe("image risk", () => {
  it("shows trust, the integrity evidence, and applicable vulnerabilities first", async () => {
    setup((r) =>
      r.service(InventoryService, {
        getImage: () => ({
          image: {
            digest: DIGEST,
            references: ["registry.example.com/shop/web:1.0"],
            enrichment: {
              status: EnrichmentStatus.DONE,
              trust: Trust.UNTRUSTED,
              trustReason: "no trusted registry holds this digest",
              integrityViolations: [{ kind: "tag_moved", reference: "registry.example.com/shop/web:1.0", expected: "sha256:111", actual: DIGEST }],
              risks: [{ kind: RiskKind.INTEGRITY_VIOLATION, detail: "tag moved" }, { kind: RiskKind.UNTRUSTED_IMAGE }],
              funnel: { all: 2n, criticalHigh: 2n, withFix: 2n, applicable: 1n },
            },
          },
        }),
        listVulnerabilities: () => ({
          vulnerabilities: [vuln("GO-A", Applicability.NOT_APPLICABLE, Severity.CRITICAL), vuln("GO-B", Applicability.APPLICABLE)],
          total: 2n,
        }),
      }),
    );
    navigate(`/images/${DIGEST}`);
    await screen.findByText("untrusted");
    const evidence = screen.getByRole("region", { name: "Integrity evidence" });
    expect(evidence.textContent).toContain("tag moved");
    expect(evidence.textContent).toContain("sha256:111");
    fireEvent.click(within(screen.getByRole("navigation", { name: "Image details" })).getByRole("link", { name: "Vulnerabilities" }));
    const table = await screen.findByRole("table", { name: "Vulnerabilities of this image" });
    const ids = within(table).getAllByText(/^GO-[AB]$/).map((e) => e.textContent);
    expect(ids).toEqual(["GO-B", "GO-A"]);
  });
});

describe("risk totals", () => {
  it("the overview shows the platform's totals per kind for its filter, without listing images", async () => {
    const filters: { cluster: string; window: number }[] = [];
    let listedImages = false;
    setup((r) =>
      r.service(InventoryService, {
        getOverview: (req) => {
          filters.push({ cluster: req.filter?.cluster ?? "", window: req.filter?.window ?? 0 });
          return {
            driftedExecutables: 9n,
            risks: [
              { kind: RiskKind.MALICIOUS_PACKAGE },
              { kind: RiskKind.CRITICAL_APPLICABLE_CVE, images: 2n, risks: 5n },
              { kind: RiskKind.INTEGRITY_VIOLATION, images: 1n, risks: 1n },
              { kind: RiskKind.UNTRUSTED_IMAGE, images: 1234n, risks: 1234n },
              { kind: RiskKind.DRIFT, images: 3n, risks: 9n },
            ],
          };
        },
        listClusters: () => ({}),
        listImages: () => {
          listedImages = true;
          return {};
        },
        listVulnerabilities: () => ({ funnel: { all: 1n } }),
      }),
    );
    navigate("/?cluster=prod&window=24h");
    const count = async (name: string) => (await screen.findByText(name, { selector: ".risk-name" })).closest("li")!.querySelector(".risk-count")!;
    // More than the 1,000 images one page of the list could hold.
    expect((await count("Untrusted image")).textContent).toBe("1,234");
    expect((await count("Malicious package")).textContent).toBe("0");
    const cve = await count("Critical applicable CVE");
    expect(cve.textContent).toBe("2");
    expect(cve.getAttribute("title")).toBe("2 images with 5 open risks of this kind");
    const drift = await count("Drift");
    expect(drift.textContent).toBe("3");
    expect(drift.getAttribute("title")).toContain("9 drifted executables");
    expect(drift.getAttribute("href")).toContain("drift=1");
    expect(filters.at(-1)).toEqual({ cluster: "prod", window: 3 }); // TIME_WINDOW_24H
    expect(listedImages).toBe(false);
  });

  it("the images list shows how many vulnerabilities of any severity each image loaded", async () => {
    setup((r) =>
      r.service(InventoryService, {
        listImages: () => ({
          images: [
            {
              digest: DIGEST,
              references: ["registry.example.com/shop/web:1.0"],
              enrichment: { status: EnrichmentStatus.DONE, funnel: { all: 40n, criticalHigh: 12n, withFix: 6n, applicable: 1n, applicableAny: 7n } },
            },
          ],
        }),
      }),
    );
    navigate("/images");
    const table = await screen.findByRole("table", { name: "Images" });
    const cell = within(table).getByRole("link", { name: /40 in all/ });
    expect(cell.textContent).toContain("7 loaded of 40");
    expect(within(cell).getByText(/40 in all/).textContent).toBe(
      "40 in all, 7 of them loaded at runtime; 12 critical or high, 6 of them with a fix, 1 of those loaded",
    );
  });
});

describe("integrations", () => {
  it("says which integration's secret the platform cannot open, and never shows a secret", async () => {
    const err = "the secret of integration/corp cannot be opened: sealed under another key: it was sealed under key 798cf7ea6698";
    setup((r) => {
      r.service(AdminService, {
        listIntegrations: () => ({
          integrations: [
            { name: "corp", kind: IntegrationKind.OCI, url: "https://r.example", username: "robot", hasSecret: true, trusted: true, secretError: err },
            { name: "public", kind: IntegrationKind.OCI, url: "https://p.example", username: "bot", hasSecret: true },
          ],
        }),
        listWebhooks: () => ({}),
      });
      r.service(InventoryService, { listVulnerabilitySources: () => ({}) });
    });
    navigate("/settings/integrations");
    const table = await screen.findByRole("table", { name: "Integrations" });
    const corp = within(table).getByText("corp").closest("tr")!;
    expect(corp.textContent).toContain("robot · secret unreadable");
    expect(corp.textContent).toContain(err);
    expect(within(table).getByText("public").closest("tr")!.textContent).toContain("bot · secret set");
  });
});
