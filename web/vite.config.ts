/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The UI is served by runwatch-platform at "/", next to the API. In
// development, `npm run dev` proxies the API to RUNWATCH_SERVER.
const api = process.env.RUNWATCH_SERVER ?? "http://127.0.0.1:8080";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // One small app: a single chunk keeps the first paint to two requests.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    proxy: { "/runwatch.v1.": api, "/healthz": api, "/readyz": api },
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
