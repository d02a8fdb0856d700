/**
 * PM2 ecosystem for one machine running three arena processes (two in eu, one in us) behind nginx, the Colyseus
 * convention for several processes. Shared settings come from the environment PM2 is started with:
 *
 *   export DATABASE_URL=postgres://arena:…@db.internal/arena REDIS_URL=redis://redis.internal:6379 \
 *          JWT_SECRET=… ADMIN_PASSWORD=… NODE_ENV=production REGIONS=eu,us
 *   npx pm2 start deploy/ecosystem.config.cjs
 *
 * Each process gets its own PORT, REGION and PUBLIC_ADDRESS (the balancer's host plus the path nginx routes to this
 * process; generate the nginx side with `deploy/cluster.ts` — see docs/SCALING.md). One process per core.
 */
const PUBLIC_HOST = process.env.ARENA_PUBLIC_HOST ?? "game.example.com";

const processes = [
  { name: "p1", port: 2601, region: "eu" },
  { name: "p2", port: 2602, region: "eu" },
  { name: "p3", port: 2603, region: "us" },
];

module.exports = {
  apps: processes.map((p) => ({
    name: `arena-${p.name}`,
    cwd: `${__dirname}/..`,
    script: "src/index.ts",
    interpreter: "node",
    interpreter_args: "--import tsx",
    exec_mode: "fork",
    // Colyseus shuts rooms down gracefully on SIGTERM: live matches are snapshotted and handed off.
    kill_timeout: 30_000,
    max_memory_restart: "1500M",
    env: {
      // nginx on this machine proxies to the processes from loopback: believe its X-Forwarded-For, nobody else's.
      TRUSTED_PROXIES: process.env.TRUSTED_PROXIES ?? "127.0.0.1,::1",
      PORT: String(p.port),
      REGION: p.region,
      PUBLIC_ADDRESS: `${PUBLIC_HOST}/${p.name}`,
    },
  })),
};
