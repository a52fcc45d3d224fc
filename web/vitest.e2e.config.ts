import { defineConfig } from "vitest/config";

// End-to-end tests: a real platform (built from this repository and filled
// through its ingest API by e2e/testenv) and a real Chromium.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    fileParallelism: false,
    sequence: { concurrent: false },
    reporters: ["verbose"],
    // A real platform under load answers in its own time; waits are bounded.
    expect: { poll: { timeout: 30_000, interval: 100 } },
  },
});
