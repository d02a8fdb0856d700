/**
 * Vite builds the browser client (client/) into dist/client, which the server serves at `/`
 * (src/http/clientRoutes.ts). `npm start` builds it first when it is missing or older than its sources
 * (scripts/buildClient.ts). The client imports the SDK (@arena/sdk, from its TypeScript sources through the
 * `arena-source` export condition, so no SDK build comes first), src/protocol.ts and the games' pure code
 * (src/games/, src/logic/).
 */
import path from "node:path";
import { defaultClientConditions, defineConfig } from "vite";

const root = import.meta.dirname;
/** The game server `npm start` runs: on PORT (its default 2567). */
const gameServer = `http://127.0.0.1:${process.env.PORT ?? 2567}`;

export default defineConfig({
  root: path.join(root, "client"),
  base: "/",
  logLevel: "warn",
  // `@arena/sdk` resolves to sdk/src/*.ts (its package.json `exports`), as in tsconfig.json and the mocha configs.
  resolve: { conditions: ["arena-source", ...defaultClientConditions] },
  build: {
    outDir: path.join(root, "dist/client"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `npx vite` for client work with hot reload, next to `npm start`: the game's HTTP routes and its room WebSockets
    // (`/<processId>/<roomId>?sessionId=…`, or `?reconnectionToken=…`) go to the game server on its PORT.
    proxy: {
      "^/(auth|players|leaderboards|sessions|matchmake|games)": gameServer,
      "^/[\\w-]+/[\\w-]+\\?(sessionId|reconnectionToken)=": { target: gameServer, ws: true },
    },
  },
});
