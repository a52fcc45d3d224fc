// The end-to-end harness: builds runwatch-platform and the testenv
// command with Go, starts platforms through testenv, and drives Debian's
// Chromium with playwright-core.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const repoRoot = resolve(webDir, "..");
export const outDir = join(webDir, "test-results");
export const shotDir = join(outDir, "screenshots");

export const CHROMIUM = process.env.RUNWATCH_CHROMIUM ?? "/usr/bin/chromium";

// chromiumMissing says why the browser tests cannot run here, or "".
// In CI a missing browser fails the run instead of skipping it.
export function chromiumMissing(): string {
  if (existsSync(CHROMIUM)) return "";
  const why = `${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.CI === "true") throw new Error(why);
  return why;
}

export interface Env {
  url: string;
  adminToken: string;
  adminPassword: string;
  viewer: string;
  viewerPassword: string;
  records: number;
  seeded?: {
    clusters: string[];
    sensorNodes: number;
    restricted: number;
    workloads: number;
    processes: number;
    fileLoads: number;
    drifted: number;
    nginxImage: string;
    longPath: string;
    longWorkload: string;
    curlSha256: string;
    registry: string;
    movedImage: string;
    canaryImage: string;
  };
}

export interface Platform {
  env: Env;
  stop: () => Promise<void>;
}

let binDir = "";

// buildBinaries builds the platform and testenv once per run.
export function buildBinaries(): string {
  if (binDir) return binDir;
  binDir = mkdtempSync(join(tmpdir(), "runwatch-ui-bin-"));
  const t0 = Date.now();
  process.stderr.write("building runwatch-platform and testenv with go build…\n");
  execFileSync("go", ["build", "-o", binDir + "/", "./platform/cmd/runwatch-platform", "./web/e2e/testenv"], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  process.stderr.write(`built in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);
  return binDir;
}

// startPlatform starts a platform through testenv and resolves once it is
// filled. Closing testenv's stdin stops it and its platform.
export async function startPlatform(opts: { records?: number; empty?: boolean }): Promise<Platform> {
  const bin = buildBinaries();
  const args = ["--platform-bin", join(bin, "runwatch-platform")];
  if (opts.empty) args.push("--empty");
  if (opts.records !== undefined) args.push("--records", String(opts.records));
  // RUNWATCH_E2E_POSTGRES runs the platform on a fresh Postgres database
  // instead of SQLite (the embedded default).
  if (process.env.RUNWATCH_E2E_POSTGRES) args.push("--postgres", process.env.RUNWATCH_E2E_POSTGRES);
  const child: ChildProcess = spawn(join(bin, "testenv"), args, { stdio: ["pipe", "pipe", "inherit"] });
  const env = await new Promise<Env>((ok, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (l) => {
      try {
        ok(JSON.parse(l) as Env);
      } catch (e) {
        fail(new Error(`testenv said ${l}: ${e}`));
      }
    });
    child.once("exit", (code) => fail(new Error(`testenv exited with ${code} before the platform was ready`)));
  });
  return {
    env,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        child.once("exit", () => ok());
        child.stdin!.end();
      }),
  };
}

// The browser: Debian's Chromium with a fresh profile, as the brief of
// the machine asks (no GPU, no network but loopback, nothing in the
// background).
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "runwatch-ui-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1440, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function ensureOutDirs() {
  mkdirSync(shotDir, { recursive: true });
}
