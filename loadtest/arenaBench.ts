/**
 * Arena benchmark (issue: the authoritative game). Prints and writes loadtest/results/arena.json:
 *  - ticks/s of the pure simulation with 8 and 100 bot players;
 *  - for rooms of 8 and 100 connected players sending inputs at 30 Hz: server CPU per player (ms of CPU per second
 *    per player), bytes/s sent per client, and the same CPU figure for a vanilla Colyseus room moving the same
 *    number of players, measured in the same run, as a ratio.
 * The server runs in a child process (loadtest/arenaHost.ts) so its CPU is measured apart from the clients'.
 * Loopback only; every loop is bounded.
 */
import { fork } from "node:child_process";
import path from "node:path";
import { ColyseusSDK, type Room } from "@colyseus/sdk";
import { botInput, createBrain } from "../src/logic/bots.ts";
import { ARENA_MAP } from "../src/logic/maps.ts";
import { addPlayer, createWorld, step } from "../src/logic/simulation.ts";
import { DEFAULT_TUNING } from "../src/logic/tuning.ts";
import type { Input } from "../src/logic/types.ts";
import { writeResults } from "./benchServer.ts";

const SIZES = (process.env.BENCH_SIZES ?? "8,100").split(",").map(Number);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 5000);
const TICK_MS = 1000 / 30;

function logicTicksPerSecond(players: number): number {
  const world = createWorld({ seed: 5, friendlyFire: true, historyLength: 9 });
  const brains = new Map<string, ReturnType<typeof createBrain>>();
  for (let i = 0; i < players; i++) {
    const id = `b${i}`;
    addPlayer(world, { id, team: i, bot: true }, ARENA_MAP, DEFAULT_TUNING);
    brains.set(id, createBrain(world, TICK_MS));
  }
  const ticks = players <= 10 ? 6000 : 600;
  const started = performance.now();
  for (let t = 0; t < ticks; t++) {
    const inputs = new Map<string, Input>();
    for (const [id, brain] of brains) {
      if (world.players[id]!.alive) inputs.set(id, botInput(world, id, brain, DEFAULT_TUNING, ARENA_MAP, TICK_MS));
    }
    step(world, inputs, TICK_MS, DEFAULT_TUNING, ARENA_MAP);
  }
  return Math.round(ticks / ((performance.now() - started) / 1000));
}

interface HostReply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

function startHost() {
  const child = fork(path.join(import.meta.dirname, "arenaHost.ts"), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, LOG_LEVEL: "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  // Only replies with an `ok` flag are ours: @pm2/io (loaded by Colyseus) talks over the same IPC channel.
  const nextReply = (): Promise<HostReply> =>
    new Promise((resolve) => {
      const onMessage = (reply: unknown) => {
        if (reply === null || typeof reply !== "object" || typeof (reply as HostReply).ok !== "boolean") return;
        child.off("message", onMessage);
        resolve(reply as HostReply);
      };
      child.on("message", onMessage);
    });
  const ask = async (message: unknown): Promise<HostReply> => {
    const reply = nextReply();
    child.send(message as object);
    const answer = await reply;
    if (!answer.ok) throw new Error(answer.error);
    return answer;
  };
  const ready = nextReply();
  return { child, ask, ready };
}

/** Sends one input per client per tick, wandering with changing sticks; returns a stop function. */
function driveInputs(rooms: Room[]): () => void {
  let seq = 0;
  const timer = setInterval(() => {
    seq += 1;
    rooms.forEach((room, i) => {
      const phase = seq / 30 + i;
      room.send("input", {
        seq,
        moveX: Math.cos(phase),
        moveY: Math.sin(phase * 0.7),
        aim: phase,
        fire: seq % 10 === i % 10,
      });
    });
  }, TICK_MS);
  return () => clearInterval(timer);
}

async function guests(
  url: string,
  count: number,
  run: number,
): Promise<Array<{ id: string; username: string; token: string }>> {
  const players = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/auth/guest`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": `10.${run}.${i >> 8}.${i & 255}` },
      body: JSON.stringify({ deviceId: `bench-device-${run}-${i}-0123456789` }),
    });
    if (res.status !== 200) throw new Error(`guest ${i}: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { player: { id: string; username: string }; accessToken: string };
    players.push({ id: body.player.id, username: body.player.username, token: body.accessToken });
  }
  return players;
}

function waitForPhase(room: Room, phase: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`phase ${phase} not reached`)), timeoutMs);
    const check = (state: { phase?: string }) => {
      if (state?.phase !== phase) return;
      clearTimeout(timer);
      room.onStateChange.remove(check);
      resolve();
    };
    room.onStateChange(check);
  });
}

async function main(): Promise<void> {
  const logic = Object.fromEntries(SIZES.map((n) => [`${n}Players`, logicTicksPerSecond(n)]));
  process.stdout.write(`pure logic ticks/s: ${JSON.stringify(logic)}\n`);

  const host = startHost();
  const hello = await host.ready;
  const url = hello.url as string;
  if (typeof url !== "string") throw new Error(`unexpected first message from the host: ${JSON.stringify(hello)}`);
  const sdk = new ColyseusSDK(url.replace("http", "ws"));
  const rooms: Record<string, unknown> = {};
  try {
    let run = 0;
    for (const n of SIZES) {
      run += 1;
      // The arena with n players.
      const players = await guests(url, n, run);
      const launched = await host.ask({
        cmd: "launch",
        roster: players.map((p, i) => ({ playerId: p.id, username: p.username, team: i, bot: false })),
      });
      const seats = launched.seats as Record<string, Parameters<ColyseusSDK["consumeSeatReservation"]>[0]>;
      const arenaRooms: Room[] = [];
      for (const p of players) {
        const room = await sdk.consumeSeatReservation(seats[p.id]!);
        room.onMessage("*", () => {});
        arenaRooms.push(room);
      }
      await waitForPhase(arenaRooms[0]!, "active", 20_000);
      const stopArena = driveInputs(arenaRooms);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const arena = await host.ask({ cmd: "measure", ms: WINDOW_MS, roomId: launched.sessionId });
      stopArena();
      await Promise.all(arenaRooms.map((room) => room.leave()));

      // The vanilla baseline with n players.
      const vanillaRooms: Room[] = [];
      for (let i = 0; i < n; i++) vanillaRooms.push(await sdk.joinOrCreate("vanilla"));
      const stopVanilla = driveInputs(vanillaRooms);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const vanilla = await host.ask({ cmd: "measure", ms: WINDOW_MS, roomId: vanillaRooms[0]!.roomId });
      stopVanilla();
      await Promise.all(vanillaRooms.map((room) => room.leave()));

      const perPlayer = (m: HostReply) =>
        Math.round(((m.cpuMs as number) / ((m.wallMs as number) / 1000) / n) * 1000) / 1000;
      const bytesPerClient = (m: HostReply) => Math.round((m.bytesSent as number) / ((m.wallMs as number) / 1000) / n);
      const figures = {
        players: n,
        arena: {
          clientsConnected: arena.clients,
          cpuMsPerSecPerPlayer: perPlayer(arena),
          bytesPerSecPerClient: bytesPerClient(arena),
          processRssMb: arena.rssMb,
          snapshots: (() => {
            const taken = arena.snapshots as { count: number; totalMs: number; bytes: number };
            return {
              perSecond: Math.round((taken.count / ((arena.wallMs as number) / 1000)) * 10) / 10,
              serialiseMsEach: Math.round((taken.totalMs / Math.max(1, taken.count)) * 1000) / 1000,
              bytes: taken.bytes,
              shareOfServerCpu: Math.round((taken.totalMs / (arena.cpuMs as number)) * 10000) / 10000,
            };
          })(),
          interestManagement: (() => {
            const interest = arena.interest as { refreshes: number; totalMs: number };
            return {
              refreshesPerSec: Math.round(interest.refreshes / ((arena.wallMs as number) / 1000)),
              msPerRefresh: Math.round((interest.totalMs / Math.max(1, interest.refreshes)) * 1000) / 1000,
              shareOfServerCpu: Math.round((interest.totalMs / (arena.cpuMs as number)) * 1000) / 1000,
            };
          })(),
        },
        vanilla: {
          clientsConnected: vanilla.clients,
          cpuMsPerSecPerPlayer: perPlayer(vanilla),
          bytesPerSecPerClient: bytesPerClient(vanilla),
        },
        cpuRatioArenaToVanilla: Math.round((perPlayer(arena) / perPlayer(vanilla)) * 100) / 100,
      };
      rooms[`${n}Players`] = figures;
      process.stdout.write(`${JSON.stringify(figures)}\n`);
    }
    const file = writeResults("arena", {
      logicTicksPerSec: logic,
      windowMs: WINDOW_MS,
      tickRateHz: 30,
      patchRateHz: 20,
      rooms,
      note: "CPU is the server process' user+system time during the window, divided by players; the same process also serves HTTP and matchmaking, idle here.",
    });
    process.stdout.write(`written to ${file}\n`);
  } finally {
    await host.ask({ cmd: "stop" }).catch(() => undefined);
    host.child.kill();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`arena benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
