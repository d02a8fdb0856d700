/**
 * Vite builds the browser client (client/) into dist/client, which the server serves at `/`
 * (src/http/clientRoutes.ts). `npm start` builds it first when it is missing or older than its sources
 * (scripts/buildClient.ts). The client imports src/protocol.ts and the pure movement step from src/logic/.
 */
import path from "node:path";
import { defineConfig } from "vite";

const root = import.meta.dirname;

export default defineConfig({
  root: path.join(root, "client"),
  base: "/",
  logLevel: "warn",
  build: {
    outDir: path.join(root, "dist/client"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite` for client work with hot reload; the game server runs separately on :2567.
    proxy: {
      "^/(auth|players|leaderboards|sessions|matchmake|games)": "http://127.0.0.1:2567",
    },
  },
});
