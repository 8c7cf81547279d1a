import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const target = process.env.DFLIX_BFF || "http://localhost:8080";

export default defineConfig({
  base: "/",
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: {
      "/graphql": {
        target,
        ws: true,
        changeOrigin: true,
        // The BFF checks a websocket's Origin against its own host.
        configure(proxy) {
          proxy.on("proxyReqWs", (proxyReq) => proxyReq.setHeader("origin", target));
        },
      },
      "/uploads": { target, changeOrigin: true },
      "/media": { target, changeOrigin: true },
    },
  },
});
