/**
 * Where rooms are created across processes. Every process announces in presence the region it serves and its caps
 * (MAX_ROOMS matches, MAX_CCU clients). When Colyseus must pick a process to create a room, placement considers only
 * live processes — those whose IPC channel is subscribed in presence right now, so a killed process drops out as
 * soon as its Redis connection does — and:
 * - a match room (any registered game's) goes to the least loaded process *of the match's region* that is under both caps; when there is none,
 *   creation fails with {@link RegionFullError} (the matchmaker tells the players and keeps them queued) rather
 *   than overloading a process or sending players to another region;
 * - other rooms (matchmaking, chat) go to the least loaded process under MAX_CCU in any region, else
 *   {@link ServerFullError}.
 * `process(now)` also sweeps dead processes: Colyseus' health check removes their stats and room listings, so no
 * client is ever sent to them, and their announcements are deleted.
 */
import { matchMaker, type Presence } from "@colyseus/core";
import { RoomRefusal } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { Periodic } from "../Periodic.ts";
import { type Caps, ccuFull, matchesFull, type ProcessLoad } from "./ProcessLoad.ts";

/** processId → region (read by tools and tests; kept as a plain hash). */
export const REGIONS_KEY = "arena:process:region";
/** processId → JSON {@link Caps} and its load (`matches`, `ccu`), republished as the load changes. */
export const CAPS_KEY = "arena:process:caps";
/** Debounce of load publication after a room opens or closes. */
const PUBLISH_DELAY_MS = 50;
/** Colyseus subscribes every process to `p:<processId>`; a subscribed channel means a live process. */
const PROCESS_CHANNEL_PREFIX = "p:";

/** No process of the match's region can take it (all at a cap, or none running). HTTP/room status 503. */
export class RegionFullError extends RoomRefusal {
  constructor(
    readonly region: string,
    readonly reason: "full" | "none",
  ) {
    super(
      503,
      reason === "full"
        ? `every server of region ${region} is full (MAX_ROOMS/MAX_CCU); try again shortly`
        : `no server of region ${region} is running`,
    );
    this.name = "RegionFullError";
  }
}

/** Every live process is at MAX_CCU. */
export class ServerFullError extends RoomRefusal {
  constructor() {
    super(503, "every server is full (MAX_CCU); try again shortly");
    this.name = "ServerFullError";
  }
}

/**
 * Which of these presence channels have a subscriber right now (Redis: `PUBSUB NUMSUB`, O(channels asked); a
 * scan of every channel would grow with the rooms of the whole cluster).
 */
export type SubscribedProbe = (channels: readonly string[]) => Promise<boolean[]>;

/** The probe for in-process presence (one process: only its own channels exist). */
export function localSubscribedProbe(presence: Presence): SubscribedProbe {
  return async (channels) => {
    const existing = new Set(await presence.channels());
    return channels.map((channel) => existing.has(channel));
  };
}

export interface ProcessView {
  processId: string;
  region: string;
  caps: Caps;
  ccu: number;
  matches: number;
}

export class RegionPlacement {
  private registeredAs: string | undefined;
  private publishTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private readonly periodic = new Periodic(
    () => this.process(),
    (error: unknown) => this.log.warn({ err: error }, "process sweep failed"),
  );

  constructor(
    private readonly presence: Presence,
    private readonly region: string,
    private readonly load: ProcessLoad,
    private readonly log: Logger,
    private readonly subscribed: SubscribedProbe = localSubscribedProbe(presence),
  ) {}

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
    clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
  }

  /** Records this process' region and caps once Colyseus has given it a process id. Idempotent. */
  async register(): Promise<boolean> {
    const processId = matchMaker.processId;
    if (processId === undefined || processId === this.registeredAs) return processId !== undefined;
    await this.presence.hset(REGIONS_KEY, processId, this.region);
    this.registeredAs = processId;
    await this.publishLoad();
    return true;
  }

  /** Publishes this process' caps and current load for the placement decisions of every process. */
  async publishLoad(): Promise<void> {
    if (this.registeredAs === undefined) return;
    const { caps } = this.load;
    await this.presence.hset(
      CAPS_KEY,
      this.registeredAs,
      JSON.stringify({ ...caps, matches: this.load.matches, ccu: this.load.ccu }),
    );
  }

  /** A room opened or closed, or a client came or went: publish the new load shortly (coalescing bursts). */
  loadChanged(): void {
    if (this.publishTimer !== undefined) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publishLoad().catch((error: unknown) =>
        this.log.warn({ err: error }, "could not publish this process' load"),
      );
    }, PUBLISH_DELAY_MS);
  }

  /** Withdraws this process' announcement (graceful shutdown). */
  async unregister(): Promise<void> {
    if (this.registeredAs === undefined) return;
    await this.presence.hdel(REGIONS_KEY, this.registeredAs);
    await this.presence.hdel(CAPS_KEY, this.registeredAs);
    this.registeredAs = undefined;
  }

  /** Registers, then sweeps processes that are gone: their stats, room listings and announcements. */
  async process(): Promise<string[]> {
    if (this.sweeping || !(await this.register())) return [];
    this.sweeping = true;
    try {
      const [stats, regions] = await Promise.all([matchMaker.stats.fetchAll(), this.presence.hgetall(REGIONS_KEY)]);
      // A peer that swept this process while it was still starting (announced, IPC not yet subscribed) removed
      // its announcement: put it back.
      if (this.registeredAs !== undefined && regions?.[this.registeredAs] === undefined) {
        await this.presence.hset(REGIONS_KEY, this.registeredAs, this.region);
      }
      await this.publishLoad();
      const suspects = new Set([...stats.map((entry) => entry.processId), ...Object.keys(regions ?? {})]);
      const live = await this.liveProcessIds([...suspects]);
      const swept: string[] = [];
      for (const processId of suspects) {
        if (live.has(processId)) continue;
        // Colyseus pings it over IPC; on no answer it removes its stats and room listings.
        const alive = await matchMaker.healthCheckProcessId(processId);
        if (alive) continue;
        await this.presence.hdel(REGIONS_KEY, processId);
        await this.presence.hdel(CAPS_KEY, processId);
        swept.push(processId);
      }
      if (swept.length > 0) this.log.warn({ processIds: swept }, "removed processes that stopped answering");
      return swept;
    } finally {
      this.sweeping = false;
    }
  }

  /** Live, announced processes with their caps and load (this process' own load counted exactly). */
  async processes(): Promise<ProcessView[]> {
    await this.register();
    const [regions, published] = await Promise.all([
      this.presence.hgetall(REGIONS_KEY),
      this.presence.hgetall(CAPS_KEY),
    ]);
    const live = await this.liveProcessIds(Object.keys(regions ?? {}));
    const views: ProcessView[] = [];
    for (const processId of live) {
      const region = regions?.[processId];
      if (region === undefined) continue;
      if (processId === matchMaker.processId) {
        views.push({ processId, region, caps: this.load.caps, ccu: this.load.ccu, matches: this.load.matches });
      } else {
        views.push({ processId, region, ...parseLoad(published?.[processId]) });
      }
    }
    return views;
  }

  /** The `selectProcessIdToCreateRoom` of the server options. */
  readonly select = async (roomName: string, clientOptions: Record<string, unknown>): Promise<string> => {
    const candidates = (await this.processes()).sort((a, b) => a.ccu - b.ccu || a.matches - b.matches);
    // An explicit target (operations, tests) wins when that process is live.
    const placeOn = clientOptions.placeOn;
    if (typeof placeOn === "string" && candidates.some((process) => process.processId === placeOn)) return placeOn;

    if (this.load.isMatchRoom(roomName)) {
      const region = (clientOptions.match as { region?: string } | undefined)?.region ?? this.region;
      const inRegion = candidates.filter((process) => process.region === region);
      if (inRegion.length === 0) throw new RegionFullError(region, "none");
      const open = inRegion.find(
        (process) => !matchesFull(process.caps, process.matches) && !ccuFull(process.caps, process.ccu),
      );
      if (open === undefined) throw new RegionFullError(region, "full");
      return open.processId;
    }
    const open = candidates.find((process) => !ccuFull(process.caps, process.ccu));
    if (open !== undefined) return open.processId;
    if (candidates.length > 0) throw new ServerFullError();
    // Nothing announced yet (this process is still starting): create here.
    return matchMaker.processId;
  };

  /**
   * Whether the process runs: its IPC channel is subscribed and it answers a health check over it (a stalled
   * process keeps its subscription but does not answer; Colyseus then sweeps it). Throws when presence cannot tell
   * (Redis away) — the caller must not take that for "gone".
   */
  async isAlive(processId: string): Promise<boolean> {
    if (processId === matchMaker.processId) return true;
    const channel = `${PROCESS_CHANNEL_PREFIX}${processId}`;
    const [subscribed] = await this.subscribed([channel]);
    if (subscribed !== true) return false;
    if (await matchMaker.healthCheckProcessId(processId)) return true;
    // No answer: asking again throws if it was presence that failed rather than the process.
    await this.subscribed([channel]);
    return false;
  }

  /** The candidates whose IPC channel is subscribed (this process counts as live while it runs). */
  private async liveProcessIds(candidates: readonly string[]): Promise<Set<string>> {
    const others = candidates.filter((id) => id !== matchMaker.processId);
    const answers = await this.subscribed(others.map((id) => `${PROCESS_CHANNEL_PREFIX}${id}`));
    const live = new Set(others.filter((_, i) => answers[i] === true));
    if (matchMaker.processId !== undefined) live.add(matchMaker.processId);
    return live;
  }
}

/** A peer's published caps and load; a peer that has not published yet counts as empty and uncapped. */
function parseLoad(raw: string | undefined): Pick<ProcessView, "caps" | "ccu" | "matches"> {
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(raw ?? "{}") as Record<string, unknown>;
  } catch {
    // treated as empty below
  }
  const count = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : 0);
  return {
    caps: { maxRooms: count(parsed.maxRooms), maxCcu: count(parsed.maxCcu) },
    ccu: count(parsed.ccu),
    matches: count(parsed.matches),
  };
}
