import { defineConfig } from "vite";

// One build serves every deployment: it lives under /console/ both on the local gateway and
// on CloudFront, and reads where the API is from config.json at start.
export default defineConfig({
  base: "/console/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
  },
});
