// End-to-end tests of the web UI in a real Chromium against a real
// platform holding 50,000 process records stored through the ingest API.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, chromiumMissing, ensureOutDirs, launchBrowser, outDir, shotDir, startPlatform, webDir } from "./harness";

const RECORDS = Number(process.env.RUNWATCH_E2E_RECORDS ?? 50000);
const missing = chromiumMissing();

describe.skipIf(missing !== "")(`web UI in Chromium${missing ? ` (skipped: ${missing})` : ""}`, () => {
  let full: Platform;
  let empty: Platform;
  let context: BrowserContext;
  let closeBrowser: () => Promise<void>;
  const figures: Record<string, unknown> = { records: RECORDS, store: process.env.RUNWATCH_E2E_POSTGRES ? "postgres" : "sqlite" };

  beforeAll(async () => {
    ensureOutDirs();
    [full, empty] = await Promise.all([startPlatform({ records: RECORDS }), startPlatform({ empty: true })]);
    ({ context, close: closeBrowser } = await launchBrowser());
  });

  afterAll(async () => {
    await closeBrowser?.();
    await Promise.all([full?.stop(), empty?.stop()]);
    writeFileSync(join(outDir, "figures.json"), JSON.stringify(figures, null, 2) + "\n");
  });

  // page opens a tab already signed in to a platform.
  async function page(p: Platform = full): Promise<Page> {
    const pg = await context.newPage();
    const errors: string[] = [];
    pg.on("pageerror", (e) => errors.push(String(e)));
    (pg as Page & { errors: string[] }).errors = errors;
    await pg.addInitScript((t) => sessionStorage.setItem("runwatch.token", t), p.env.adminToken);
    return pg;
  }

  async function shot(pg: Page, name: string) {
    await pg.screenshot({ path: join(shotDir, `${name}.png`), fullPage: true });
  }

  // column reads the cells of one column of a table's data rows, found by
  // its header (so adding a column does not break the tests).
  async function column(table: ReturnType<Page["getByRole"]>, header: string): Promise<string[]> {
    const headers = await table.locator("thead th").allTextContents();
    const i = headers.findIndex((h) => h.replace(/[▲▼↕]/g, "").trim() === header);
    if (i < 0) throw new Error(`no column ${header} in ${headers.join(", ")}`);
    return table.locator(`tbody > tr:not(.detail-row) > td:nth-child(${i + 1})`).allTextContents();
  }

  // noHorizontalOverflow: long names must not widen the page itself.
  async function noHorizontalOverflow(pg: Page) {
    const { scroll, client } = await pg.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
    expect(scroll).toBeLessThanOrEqual(client + 1);
  }

  // timeToData loads a page cold and measures, inside the browser, the
  // time from navigation start until its first data row is in the DOM (a
  // MutationObserver notes the moment; no polling delay is counted).
  const observed = new WeakSet<Page>();
  async function timeToData(pg: Page, url: string, rowSelector: string): Promise<number> {
    if (!observed.has(pg)) {
      observed.add(pg);
      await pg.addInitScript((sel) => {
        const w = window as unknown as { firstRowAt?: number };
        new MutationObserver((_, obs) => {
          if (document.querySelector(sel)) {
            w.firstRowAt = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      }, rowSelector);
    }
    await pg.goto("about:blank");
    await pg.goto(url);
    await pg.waitForFunction(() => (window as unknown as { firstRowAt?: number }).firstRowAt !== undefined);
    return pg.evaluate(() => (window as unknown as { firstRowAt: number }).firstRowAt);
  }

  it("signs in with a password or a token, refusing wrong ones, and signs out", async () => {
    await context.clearCookies();
    const pg = await context.newPage();
    await pg.goto(full.env.url + "/");
    const form = pg.getByRole("form", { name: "Sign in with a password" });
    await form.getByLabel("Username").fill("admin");
    await form.getByLabel("Password").fill("not-the-password");
    await form.getByRole("button", { name: "Sign in" }).click();
    await pg.getByRole("alert").getByText("Wrong username or password.").waitFor();
    await shot(pg, "01-sign-in-refused");
    await form.getByLabel("Password").fill(full.env.adminPassword);
    await form.getByRole("button", { name: "Sign in" }).click();
    await pg.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    // A session cookie, not a token in the page's storage.
    expect(await pg.evaluate(() => sessionStorage.getItem("runwatch.token"))).toBeNull();
    const cookies = await context.cookies(full.env.url);
    expect(cookies.find((c) => c.name === "runwatch_session")?.httpOnly).toBe(true);
    await pg.locator(".me").getByText("admin", { exact: true }).waitFor();
    // The session survives a reload, and ends with "Sign out".
    await pg.reload();
    await pg.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await pg.getByRole("button", { name: "Sign out" }).click();
    await form.waitFor();
    expect((await context.cookies(full.env.url)).find((c) => c.name === "runwatch_session")).toBeUndefined();

    await pg.getByRole("button", { name: "Use an API token instead" }).click();
    const tokenForm = pg.getByRole("form", { name: "Sign in with an API token" });
    await tokenForm.getByLabel("API token").fill("not-the-token-at-all");
    await tokenForm.getByRole("button", { name: "Sign in with the token" }).click();
    await pg.getByRole("alert").getByText("That token was refused: it is expired or wrong.").waitFor();
    await shot(pg, "02-sign-in-token-refused");
    await tokenForm.getByLabel("API token").fill(full.env.adminToken);
    await tokenForm.getByRole("button", { name: "Sign in with the token" }).click();
    await pg.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    expect(await pg.evaluate(() => sessionStorage.getItem("runwatch.token"))).toBe(full.env.adminToken);
    await pg.close();
  });

  it("gives a viewer what a viewer may do", async () => {
    await context.clearCookies();
    const pg = await context.newPage();
    await pg.goto(full.env.url + "/settings");
    const form = pg.getByRole("form", { name: "Sign in with a password" });
    await form.getByLabel("Username").fill(full.env.viewer);
    await form.getByLabel("Password").fill(full.env.viewerPassword);
    await form.getByRole("button", { name: "Sign in" }).click();
    const sections = pg.getByRole("navigation", { name: "Settings sections" });
    await sections.getByRole("link", { name: "API tokens", exact: true }).waitFor();
    expect(await sections.getByRole("link", { name: "Registration tokens" }).count()).toBe(0);
    expect(await sections.getByRole("link", { name: "Users" }).count()).toBe(0);
    await pg.getByLabel("Name").fill("grafana");
    await pg.getByRole("button", { name: "Create API token" }).click();
    const created = pg.getByRole("region", { name: "New API token" });
    expect(await created.getByTestId("new-api-token").textContent()).toMatch(/^rwk_/);
    await pg.getByRole("table", { name: "API tokens" }).getByRole("row", { name: /grafana/ }).getByText("viewer").waitFor();
    await shot(pg, "17-viewer-api-tokens");
    // The licence is readable, not changeable.
    await sections.getByRole("link", { name: "Licence" }).click();
    await pg.getByRole("heading", { name: "Licence and node entitlement" }).waitFor();
    expect(await pg.getByRole("form", { name: "Apply a licence" }).count()).toBe(0);
    await pg.getByRole("button", { name: "Sign out" }).click();
    await form.waitFor();
    await pg.close();
  });

  it("shows the overview: counts, sensors, risks, clusters", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/?window=10d");
    const stat = (label: string) => pg.locator(".stat", { hasText: label }).locator(".stat-value");
    await stat("Clusters").waitFor();
    expect(await stat("Clusters").textContent()).toBe(String(full.env.seeded!.clusters.length));
    expect(await stat("Workloads").textContent()).toBe(String(full.env.seeded!.workloads));
    expect(await stat("Processes").textContent()).toBe(RECORDS.toLocaleString("en"));
    // The sensor chart has a text equivalent.
    const bar = await pg.getByRole("img", { name: /Nodes by sensor status/ }).getAttribute("aria-label");
    expect(bar).toContain("Degraded 1");
    expect(bar).toContain(`Restricted ${full.env.seeded!.restricted}`);
    // Entitlement: nodes in operation against the default licence of 10.
    const meter = pg.getByRole("meter", { name: "Sensor nodes used of the licence" });
    expect(await meter.getAttribute("aria-valuetext")).toBe(`${full.env.seeded!.sensorNodes} of 10 licensed nodes`);
    // Risks by type are the platform's totals for the page's filter: images
    // with each risk open; drift also says how many executables drifted.
    const risk = (kind: string) => pg.locator(".risk-list li", { hasText: kind }).locator(".risk-count");
    expect(await risk("Drift").getAttribute("title")).toContain(`${full.env.seeded!.drifted.toLocaleString("en")} drifted executables`);
    // Drift risks are judged by the enrichment worker as it reads the
    // sensors' reports: reload until it has.
    await expect
      .poll(async () => {
        await pg.reload();
        return Number(await risk("Drift").textContent());
      }, { timeout: 30_000 })
      .toBeGreaterThan(0);
    // Enrichment: the public images are untrusted (no trusted registry holds
    // them), the moved tag is an integrity violation; the funnel is drawn.
    expect(Number(await pg.locator(".risk-list li", { hasText: "Untrusted image" }).locator(".risk-count").textContent())).toBeGreaterThan(0);
    expect(Number(await pg.locator(".risk-list li", { hasText: "Integrity violation" }).locator(".risk-count").textContent())).toBe(1);
    await pg.getByRole("img", { name: /Vulnerability funnel: \d+ in all/ }).waitFor();
    for (const c of full.env.seeded!.clusters) await pg.locator(".cluster-list").getByRole("link", { name: c }).waitFor();
    await shot(pg, "03-overview");
    await pg.getByLabel("Theme").selectOption("dark");
    await shot(pg, "03-overview-dark");
    await pg.getByLabel("Theme").selectOption("system");
    await pg.waitForFunction(() => localStorage.getItem("runwatch.theme") === null);
    expect((pg as Page & { errors: string[] }).errors).toEqual([]);
    await pg.close();
  });

  it("lists clusters and nodes with controller and sensor status", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/clusters");
    const clusters = pg.getByRole("table", { name: "Clusters" });
    await clusters.getByRole("row", { name: /prod-eu/ }).getByText("connected").waitFor();
    await clusters.getByRole("row", { name: /staging/ }).getByText("degraded").waitFor();
    await clusters.getByRole("row", { name: /dev-laptop/ }).getByText("not connected").waitFor();
    const nodes = pg.getByRole("table", { name: "Nodes" });
    await nodes.getByRole("row", { name: /ip-10-0-2-21/ }).getByText("degraded").waitFor();
    await nodes.getByRole("row", { name: /kind-worker/ }).getByText("not installed").waitFor();
    await nodes.getByRole("row", { name: /build-host-08/ }).getByText("restricted").waitFor();
    await nodes.getByRole("row", { name: /build-host-01/ }).getByText("running").waitFor();
    // Selecting a cluster filters the nodes, through the URL.
    await clusters.getByRole("link", { name: "staging" }).click();
    await pg.waitForURL(/cluster=staging/);
    await pg.getByRole("heading", { name: "Nodes of staging" }).waitFor();
    await expect.poll(() => nodes.locator("tbody tr").count()).toBe(2);
    await shot(pg, "04-clusters");
    await pg.close();
  });

  it("filters, sorts, pages and expands workloads", async () => {
    const pg = await page();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await timeToData(pg, full.env.url + "/workloads", "table.data tbody tr"));
    figures.workloadsTimeToDataMs = summarize(times);
    process.stderr.write(`workloads page: first row after ${JSON.stringify(figures.workloadsTimeToDataMs)} ms (${RECORDS} process records)\n`);

    const table = pg.getByRole("table", { name: "Workloads" });
    expect(await table.locator("tbody > tr").count()).toBe(50);
    await pg.getByRole("navigation", { name: "Pages of workloads" }).getByRole("button", { name: "Next" }).click();
    await pg.waitForURL(/page=/);
    await expect.poll(() => table.locator("tbody > tr").count(), { timeout: 30_000 }).toBe(full.env.seeded!.workloads - 50);
    await pg.getByRole("button", { name: "Previous" }).click();
    await expect.poll(() => table.locator("tbody > tr").count(), { timeout: 30_000 }).toBe(50);

    // Filter by namespace: applied on Enter, kept in the URL.
    await pg.getByRole("search", { name: "Filters" }).getByLabel("Namespace").fill("payments");
    await pg.getByRole("search", { name: "Filters" }).getByLabel("Namespace").press("Enter");
    await pg.waitForURL(/namespace=payments/);
    await expect.poll(() => table.locator("tbody > tr").count()).toBe(4); // 3 in prod-eu, 1 in staging
    const namespaces = await column(table, "Namespace");
    expect(new Set(namespaces)).toEqual(new Set(["payments"]));

    // Sorting is the platform's: a column the API cannot sort by has no
    // button; the workload column sorts the filtered list by name.
    expect(await table.getByRole("button", { name: "Processes", exact: true }).count()).toBe(0);
    await table.getByRole("button", { name: "Workload", exact: true }).click();
    await pg.waitForURL(/sort=name/);
    expect(await table.getByRole("columnheader", { name: "Workload", exact: true }).getAttribute("aria-sort")).toBe("ascending");
    await expect.poll(() => table.locator("tbody > tr").count()).toBe(4);
    // Every order the UI offers is one the platform accepts.
    const sortBy = pg.getByLabel("Sort workloads by");
    for (const order of await sortBy.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))) {
      await sortBy.selectOption(order);
      await expect.poll(() => new URL(pg.url()).searchParams.get("sort") ?? "").toBe(order);
      await expect.poll(() => table.locator("tbody > tr").count()).toBe(4);
      expect(await pg.getByRole("alert").count()).toBe(0);
    }
    await sortBy.selectOption("name");
    await pg.waitForURL(/sort=name/);

    // Expand a row by keyboard: its processes load under it.
    // The payments-worker that ran processes (its namesake may have none).
    const names = await column(table, "Workload");
    const procs = (await column(table, "Processes")).map((s) => Number(s.replace(/,/g, "")));
    const workers = names.flatMap((n, i) => (n.startsWith("payments-worker") ? [i] : []));
    const busy = workers.findIndex((i) => procs[i] > 0);
    expect(busy).toBeGreaterThanOrEqual(0);
    const expander = table.getByRole("button", { name: "Processes of Deployment payments/payments-worker" }).nth(busy);
    await expander.focus();
    await pg.keyboard.press("Enter");
    expect(await expander.getAttribute("aria-expanded")).toBe("true");
    await pg.getByRole("table", { name: "Processes of payments-worker" }).locator("tbody tr").first().waitFor();
    await pg.waitForURL(/open=/);
    await shot(pg, "05-workloads");

    // The long workload name is clipped, not spilling over the page.
    await pg.goto(full.env.url + "/workloads?text=recommendation-engine");
    await table.locator("tbody tr").first().waitFor();
    expect(await table.locator(".clip", { hasText: "recommendation-engine" }).first().getAttribute("title")).toBe(full.env.seeded!.longWorkload);
    await noHorizontalOverflow(pg);
    await pg.close();
  });

  it("opens an image with its containers, processes and loaded files", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/images");
    const nginx = pg.getByRole("link", { name: "docker.io/library/nginx:1.27" });
    await nginx.waitFor();
    await shot(pg, "06-images");
    await nginx.click();
    await pg.waitForURL(new RegExp(`/images/${encodeURIComponent(full.env.seeded!.nginxImage)}`));
    await pg.getByRole("heading", { name: "docker.io/library/nginx:1.27", level: 1 }).waitFor();
    await pg.getByRole("table", { name: "Containers" }).locator("tbody tr").first().waitFor();
    await shot(pg, "07-image");
    await pg.getByRole("navigation", { name: "Image details" }).getByRole("link", { name: /Processes/ }).click();
    await pg.waitForURL(/tab=processes/);
    await pg.getByRole("table", { name: "Processes" }).locator("tbody tr").first().waitFor();
    await pg.getByRole("navigation", { name: "Image details" }).getByRole("link", { name: /Loaded files/ }).click();
    const files = pg.getByRole("table", { name: "Loaded files" });
    await files.getByText("/usr/lib/x86_64-linux-gnu/libssl.so.3").first().waitFor();
    expect(await files.getByText(/pkg:deb\/debian\/libssl3@3\.0\.15/).count()).toBeGreaterThan(0);
    await shot(pg, "08-image-files");
    await pg.getByRole("navigation", { name: "Image details" }).getByRole("link", { name: "Vulnerabilities" }).click();
    await pg.getByRole("img", { name: /Vulnerabilities of this image: \d+ in all/ }).waitFor();
    await pg.close();
  });

  it("finds processes by path, hash, drift and time window", async () => {
    const pg = await page();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) times.push(await timeToData(pg, full.env.url + "/processes?window=10d", "table.data tbody tr"));
    figures.processesTimeToDataMs = summarize(times);
    process.stderr.write(`processes page: first row after ${JSON.stringify(figures.processesTimeToDataMs)} ms (${RECORDS} process records)\n`);

    const table = pg.getByRole("table", { name: "Processes" });
    const search = pg.getByRole("search", { name: "Filters" });
    await search.getByLabel("Path or name").fill("/usr/bin/curl");
    await search.getByRole("button", { name: "Apply" }).click();
    await pg.waitForURL(/text=%2Fusr%2Fbin%2Fcurl/);
    await expect.poll(async () => new Set(await table.locator("tbody > tr:not(.detail-row) > td:nth-child(2) .clip").allTextContents())).toEqual(new Set(["/usr/bin/curl"]));
    await shot(pg, "09-processes-search");

    // By hash, from a fresh link.
    await pg.goto(`${full.env.url}/processes?window=10d&sha256=${full.env.seeded!.curlSha256}`);
    await table.locator("tbody tr").first().waitFor();
    expect(new Set(await table.locator("tbody > tr:not(.detail-row) > td:nth-child(2) .clip").allTextContents())).toEqual(new Set(["/usr/bin/curl"]));

    // Drift only.
    await pg.goto(`${full.env.url}/processes?window=10d`);
    await pg.getByLabel("Drift only").check();
    await pg.waitForURL(/drift=1/);
    await expect.poll(async () => (await table.locator("tbody > tr").count()) === (await table.getByText("drift", { exact: true }).count())).toBe(true);

    // No drift was seen in the last five minutes ("now"): an empty list.
    await pg.getByLabel("Time window").selectOption("now");
    await pg.waitForURL(/window=now/);
    await pg.getByText("No processes match").waitFor();
    // Without the drift filter, "now" holds only what ran in the last minutes.
    await pg.getByLabel("Drift only").uncheck();
    await pg.waitForURL((u) => !u.search.includes("drift"));
    await table.locator("tbody tr").first().waitFor();
    const seen = await column(table, "Last seen");
    expect(seen.every((t) => t === "just now" || /^[1-5] min ago$/.test(t))).toBe(true);

    // Sorted by runs across all 50,000 records, not within a page: the
    // first page holds the most run executables (the seed's highest count
    // is 17), and the next page continues below it.
    await pg.goto(`${full.env.url}/processes?window=10d`);
    await table.locator("tbody tr").first().waitFor();
    await table.getByRole("button", { name: "Runs", exact: true }).click();
    await pg.waitForURL(/sort=-count/);
    expect(await table.getByRole("columnheader", { name: "Runs", exact: true }).getAttribute("aria-sort")).toBe("descending");
    const runs = async () => (await column(table, "Runs")).map((s) => Number(s.replace(/,/g, "")));
    await expect.poll(async () => (await runs())[0]).toBe(17);
    const first = await runs();
    expect(first).toEqual([...first].sort((a, b) => b - a));
    await pg.getByRole("navigation", { name: "Pages of processes" }).getByRole("button", { name: "Next" }).click();
    await pg.waitForURL(/page=/);
    expect(new URL(pg.url()).searchParams.get("sort")).toBe("-count");
    await expect.poll(async () => (await runs())[0] <= first.at(-1)!).toBe(true);
    // By path: ascending, and each option of the select is accepted.
    const sortBy = pg.getByLabel("Sort processes by");
    for (const order of await sortBy.locator("option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))) {
      await sortBy.selectOption(order);
      await expect.poll(() => new URL(pg.url()).searchParams.get("sort") ?? "").toBe(order);
      expect(new URL(pg.url()).searchParams.get("page")).toBeNull();
      await table.locator("tbody tr").first().waitFor();
      expect(await pg.getByRole("alert").count()).toBe(0);
    }
    await shot(pg, "09-processes-sorted");

    // 1000 rows on one page, and the 600-character path clipped.
    await pg.goto(`${full.env.url}/processes?window=10d&size=1000`);
    await expect.poll(() => table.locator("tbody > tr").count(), { timeout: 30_000 }).toBe(1000);
    await pg.goto(`${full.env.url}/processes?window=10d&text=deeply-nested-directory`);
    const long = table.locator(".clip", { hasText: "deeply-nested-directory" }).first();
    await long.waitFor();
    expect(await long.getAttribute("title")).toBe(full.env.seeded!.longPath);
    await noHorizontalOverflow(pg);
    await table.getByRole("button", { name: /Details of \/opt\/deeply/ }).click();
    await pg.locator(".detail-row").getByText("--config").waitFor();
    await shot(pg, "10-processes-long-path");
    await pg.close();
  });

  it("shows trust, integrity evidence, risks and applicable vulnerabilities from enrichment", async () => {
    const seeded = full.env.seeded!;
    const pg = await page();
    // Images: the registry's are trusted, the public ones (which no trusted
    // registry holds) untrusted; the moved tag is an integrity violation.
    await pg.goto(full.env.url + "/images");
    const images = pg.getByRole("table", { name: "Images" });
    const moved = images.getByRole("row", { name: /shop\/langserver:1\.0/ });
    await moved.getByText("trusted", { exact: true }).waitFor();
    await moved.getByText("integrity violation").waitFor();
    await images.getByRole("row", { name: /nginx:1\.27/ }).getByText("untrusted", { exact: true }).waitFor();
    // The moved image loaded its vulnerable Go binary: of all its
    // vulnerabilities, those loaded at runtime, whatever their severity.
    const loadedOf = (await moved.getByRole("link", { name: /in all/ }).textContent()) ?? "";
    expect(Number(/(\d+) loaded of/.exec(loadedOf)?.[1])).toBeGreaterThan(0);
    await shot(pg, "23-images-enriched");

    // The moved image: its evidence, and its applicable vulnerabilities first.
    await pg.goto(`${full.env.url}/images/${encodeURIComponent(seeded.movedImage)}`);
    const evidence = pg.getByRole("region", { name: "Integrity evidence", exact: true });
    await evidence.getByText("tag moved").waitFor();
    expect(await evidence.textContent()).toContain(seeded.movedImage);
    await shot(pg, "24-image-integrity");
    await pg.getByRole("navigation", { name: "Image details" }).getByRole("link", { name: "Vulnerabilities" }).click();
    const vulns = pg.getByRole("table", { name: "Vulnerabilities of this image" });
    await vulns.locator("tbody tr").first().waitFor();
    const appl = await column(vulns, "Applicability");
    expect(appl[0]).toBe("applicable");
    expect(appl.indexOf("applicable")).toBe(0);
    expect(await vulns.getByText("GO-2022-1059").count()).toBe(1);
    await shot(pg, "25-image-vulnerabilities");
    // The SBOM is a CycloneDX document of what was loaded.
    const [download] = await Promise.all([pg.waitForEvent("download"), pg.getByRole("button", { name: "Download SBOM" }).click()]);
    const sbom = JSON.parse(readFileSync((await download.path())!, "utf8"));
    expect(sbom.bomFormat).toBe("CycloneDX");
    expect(JSON.stringify(sbom.components)).toContain("golang.org/x/text");

    // The canary holds the same binary but never ran it: not applicable.
    await pg.goto(`${full.env.url}/images/${encodeURIComponent(seeded.canaryImage)}?tab=vulnerabilities`);
    await vulns.locator("tbody tr").first().waitFor();
    expect(new Set(await column(vulns, "Applicability"))).toEqual(new Set(["not applicable"]));

    // The vulnerabilities page, filtered by CVE and applicability.
    await pg.goto(`${full.env.url}/vulnerabilities?id=CVE-2022-32149&applicability=applicable`);
    const list = pg.getByRole("table", { name: "Vulnerabilities" });
    await list.locator("tbody tr").first().waitFor();
    expect(new Set(await column(list, "Vulnerability"))).toEqual(new Set(["GO-2022-1059CVE-2022-32149, GHSA-69ch-w2m2-3vjp"]));
    await pg.getByRole("img", { name: /Vulnerability funnel: \d+ in all/ }).waitFor();
    await pg.getByText(/Vulnerability data: go-vulndb/).waitFor();
    await shot(pg, "26-vulnerabilities");

    // A workload carries its images' risks.
    await pg.goto(full.env.url + "/workloads?namespace=shop&text=langserver");
    const wl = pg.getByRole("table", { name: "Workloads" });
    await wl.getByRole("row", { name: /langserver-canary/ }).waitFor();
    const risks = await column(wl, "Risk");
    expect(risks.some((r) => r.includes("integrity violation"))).toBe(true);

    // The integration that made it so.
    await pg.goto(full.env.url + "/settings/integrations");
    await pg.getByRole("table", { name: "Integrations" }).getByRole("row", { name: /corp-registry/ }).getByText("trusted", { exact: true }).waitFor();
    await pg.getByRole("heading", { name: "Vulnerability data" }).waitFor();
    await shot(pg, "27-integrations");
    await pg.close();
  });

  it("lists loaded components by package on the vulnerabilities page", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/vulnerabilities?window=10d&purl=pkg:maven/");
    const files = pg.getByRole("table", { name: "Loaded files" });
    await files.locator("tbody tr").first().waitFor();
    expect(new Set(await files.locator("tbody > tr td:nth-child(1) .clip").allTextContents())).toEqual(new Set(["/app/lib/log4j-core-2.17.1.jar"]));
    await shot(pg, "11-vulnerabilities");
    await pg.close();
  });

  it("creates and revokes a registration token, showing the install command", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/settings");
    const tokens = pg.getByRole("table", { name: "Registration tokens" });
    await tokens.getByRole("row", { name: /dev-laptop/ }).waitFor();
    await pg.getByLabel("Cluster name").fill("qa-east");
    await pg.getByLabel("Description").fill("QA cluster, created from the UI");
    await pg.getByRole("button", { name: "Create token" }).click();
    const created = pg.getByRole("region", { name: "New registration token" });
    await created.waitFor();
    const secret = (await created.getByTestId("new-token").textContent()) ?? "";
    expect(secret).toMatch(/^rwr_/);
    const cmd = (await created.locator("pre").textContent()) ?? "";
    expect(cmd).toContain(`--set platform.token=${secret}`);
    expect(cmd).toContain(`--set platform.url=${full.env.url}`);
    expect(cmd).toContain("--set clusterName=qa-east");
    const row = tokens.getByRole("row", { name: /qa-east/ });
    await row.getByText("active").waitFor();
    // Valid for a year unless chosen otherwise.
    const expires = new Date(Date.now() + 365 * 86400_000).toISOString().slice(0, 10);
    await row.getByText(expires).waitFor();
    await shot(pg, "12-settings-token-created");

    // The token works for ingest: a controller may register with it.
    const res = await fetch(full.env.url + "/runwatch.v1.ControllerService/RegisterCluster", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${secret}` },
      body: JSON.stringify({ clusterUid: "qa-east-kube-system", clusterName: "qa-east" }),
    });
    expect(res.status).toBe(200);

    await row.getByRole("button", { name: /Revoke token/ }).click();
    await row.getByRole("button", { name: "Revoke now" }).click();
    await row.getByText("revoked").waitFor();
    await pg.close();
  });

  it("shows the licence, the nodes in operation and the audit log", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/settings/licence");
    const nodes = pg.getByRole("table", { name: "Nodes in operation" });
    await nodes.locator("tbody tr").first().waitFor();
    expect(await nodes.locator("tbody tr").count()).toBe(full.env.seeded!.sensorNodes);
    expect(await nodes.getByText("restricted", { exact: true }).count()).toBe(full.env.seeded!.restricted);
    await pg.getByRole("form", { name: "Apply a licence" }).waitFor();
    // A forged licence is refused with the platform's reason.
    await pg.getByRole("form", { name: "Apply a licence" }).getByLabel("Licence").fill("rwl1.eyJzZW5zb3Jfbm9kZXMiOjEwMDB9.Zm9yZ2Vk");
    await pg.getByRole("button", { name: "Apply licence" }).click();
    await pg.getByRole("alert").waitFor();
    await shot(pg, "18-licence");

    await pg.getByRole("navigation", { name: "Settings sections" }).getByRole("link", { name: "Audit log" }).click();
    const audit = pg.getByRole("table", { name: "Audit events" });
    await audit.getByText("AdminService/CreateUser").first().waitFor();
    await pg.getByRole("search", { name: "Filters" }).getByLabel("Who or what").fill("ApplyLicense");
    await pg.getByRole("search", { name: "Filters" }).getByLabel("Who or what").press("Enter");
    await pg.waitForURL(/text=ApplyLicense/);
    await expect.poll(async () => new Set(await audit.locator("tbody td:nth-child(3)").allTextContents())).toEqual(new Set(["AdminService/ApplyLicense"]));
    await shot(pg, "19-audit-log");
    await pg.close();
  });

  it("shows a refused token mid-session as 'expired or wrong' and asks again", async () => {
    await context.clearCookies();
    const pg = await context.newPage();
    await pg.goto(full.env.url + "/");
    await pg.evaluate(() => sessionStorage.setItem("runwatch.token", "rwa_expired_or_wrong_token"));
    await pg.goto(full.env.url + "/workloads?namespace=shop");
    const alert = pg.getByRole("alert");
    await alert.getByText("Your token was refused: it is expired, revoked or wrong.").waitFor();
    expect(await pg.evaluate(() => sessionStorage.getItem("runwatch.token"))).toBeNull();
    await shot(pg, "13-token-refused");
    // Signing in again returns to the same view.
    const form = pg.getByRole("form", { name: "Sign in with an API token" });
    await form.getByLabel("API token").fill(full.env.adminToken);
    await form.getByRole("button", { name: "Sign in with the token" }).click();
    await pg.getByRole("heading", { name: "Workloads", level: 1 }).waitFor();
    expect(pg.url()).toContain("namespace=shop");
    await pg.close();
  });

  it("shows an API error with what the platform said, and a way out", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/processes?page=not-a-page-token");
    const alert = pg.getByRole("alert");
    await alert.getByText("The platform refused this request").waitFor();
    await alert.getByRole("button", { name: "Try again" }).waitFor();
    await shot(pg, "14-api-error");
    await pg.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Processes" }).click();
    await pg.locator("table.data tbody tr").first().waitFor();
    await pg.close();
  });

  it("shows an empty platform as empty, with the next step", async () => {
    const pg = await page(empty);
    await pg.goto(empty.env.url + "/");
    await pg.getByText("No cluster reports yet.").waitFor();
    expect(await pg.locator(".stat", { hasText: "Clusters" }).locator(".stat-value").textContent()).toBe("0");
    await shot(pg, "15-empty-overview");
    await pg.goto(empty.env.url + "/workloads");
    await pg.getByText("No workloads match").waitFor();
    await pg.goto(empty.env.url + "/processes");
    await pg.getByText("No processes match").waitFor();
    await pg.goto(empty.env.url + "/settings");
    await pg.getByText("No registration tokens yet").waitFor();
    await shot(pg, "16-empty-settings");
    await pg.goto(empty.env.url + "/no/such/page");
    await pg.getByText("There is no such page").waitFor();
    await pg.close();
  });

  it("fits a laptop screen", async () => {
    const pg = await page();
    await pg.setViewportSize({ width: 1280, height: 720 });
    for (const [path, name] of [
      ["/workloads", "20-laptop-workloads"],
      ["/processes?window=10d", "21-laptop-processes"],
      ["/clusters", "22-laptop-clusters"],
    ]) {
      await pg.goto(full.env.url + path);
      await pg.locator("table.data tbody tr").first().waitFor();
      await noHorizontalOverflow(pg);
      await pg.screenshot({ path: join(shotDir, `${name}.png`) });
    }
    await pg.close();
  });

  it("has no serious accessibility violations (axe-core) on any page", async () => {
    const pg = await page();
    // Evaluated through the browser's debugging protocol: the UI's Content
    // Security Policy rightly refuses injected script tags.
    const axe = readFileSync(join(webDir, "node_modules/axe-core/axe.min.js"), "utf8");
    const pages = ["/", "/clusters", "/workloads?open=", "/images", `/images/${encodeURIComponent(full.env.seeded!.nginxImage)}?tab=processes`,
      "/processes?window=10d", "/vulnerabilities", `/images/${encodeURIComponent(full.env.seeded!.movedImage)}?tab=vulnerabilities`,
      "/settings", "/settings/api-tokens", "/settings/users", "/settings/licence", "/settings/audit", "/settings/integrations"];
    const found: string[] = [];
    const check = async (p: Page, where: string) => {
      await p.evaluate(axe);
      const violations = await p.evaluate(async () => {
        const w = window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } };
        const res = await w.axe.run(document, { resultTypes: ["violations"] });
        return res.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
      });
      for (const v of violations) found.push(`${where}: ${v}`);
    };
    await context.clearCookies();
    const signIn = await context.newPage();
    await signIn.goto(full.env.url + "/");
    await signIn.getByRole("form", { name: "Sign in with a password" }).waitFor();
    await check(signIn, "sign-in");
    await signIn.close();
    for (const theme of ["light", "dark"]) {
      await pg.goto(full.env.url + "/");
      await pg.evaluate((t) => localStorage.setItem("runwatch.theme", t), theme);
      for (const path of pages) {
        await pg.goto(full.env.url + path);
        await pg.locator("main h1").first().waitFor();
        await pg.waitForLoadState("networkidle");
        await check(pg, `${theme} ${path}`);
      }
    }
    await pg.evaluate(() => localStorage.removeItem("runwatch.theme"));
    expect(found).toEqual([]);
    await pg.close();
  });

  it("is usable by keyboard: skip link, navigation, focus", async () => {
    const pg = await page();
    await pg.goto(full.env.url + "/");
    await pg.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await pg.keyboard.press("Tab");
    expect(await pg.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await pg.keyboard.press("Enter");
    expect(await pg.evaluate(() => document.activeElement?.id)).toBe("main");
    await pg.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Images" }).focus();
    await pg.keyboard.press("Enter");
    await pg.getByRole("heading", { name: "Images", level: 1 }).waitFor();
    expect(await pg.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Images" }).getAttribute("aria-current")).toBe("page");
    // Browser history works as in any site.
    await pg.goBack();
    await pg.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
    await pg.close();
  });
});

function summarize(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  return { runs: s.map((x) => Math.round(x)), median: Math.round(s[Math.floor(s.length / 2)]), min: Math.round(s[0]), max: Math.round(s[s.length - 1]) };
}
