// Vite configuration for the Outpost desktop front end: a static build into `dist/` that the
// Tauri shell loads from disk (hence relative asset paths). JSX is compiled for Preact by esbuild.
import { defineConfig } from "vitest/config";

export default defineConfig({
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1024,
  },
  esbuild: {
    jsx: "automatic",
    jsxImportSource: "preact",
  },
  clearScreen: false,
  server: { strictPort: true, port: 1420 },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
