/**
 * Region-aware placement of arena rooms: every process records the region it serves in presence; when Colyseus
 * must pick a process to create an `arena` room, it takes the least loaded process (fewest rooms, then fewest
 * clients) among those serving the match's region. Other rooms, and regions no live process serves, fall back to
 * the least loaded process overall (logged).
 */
import { matchMaker, type Presence } from "@colyseus/core";
import type { Logger } from "../../logger.ts";
import { RoomName } from "../../protocol.ts";

const REGIONS_KEY = "arena:process:region";

export class RegionPlacement {
  private registeredAs: string | undefined;

  constructor(
    private readonly presence: Presence,
    private readonly region: string,
    private readonly log: Logger,
  ) {}

  /** Records this process' region once Colyseus has given it a process id. Idempotent. */
  async register(): Promise<boolean> {
    const processId = matchMaker.processId;
    if (processId === undefined || processId === this.registeredAs) return processId !== undefined;
    await this.presence.hset(REGIONS_KEY, processId, this.region);
    this.registeredAs = processId;
    return true;
  }

  /** The `selectProcessIdToCreateRoom` of the server options. */
  readonly select = async (roomName: string, clientOptions: Record<string, unknown>): Promise<string> => {
    await this.register();
    const regions = await this.presence.hgetall(REGIONS_KEY);
    // Only processes that announced a region are candidates: a stats entry left by a process that is gone (and
    // never re-registered) would otherwise attract every room while answering none.
    const stats = await matchMaker.stats.fetchAll();
    const announced = stats.filter((process) => regions[process.processId] !== undefined);
    const live = (announced.length > 0 ? announced : stats).sort((a, b) => a.roomCount - b.roomCount || a.ccu - b.ccu);
    // An explicit target (operations, tests) wins when that process has announced itself.
    const placeOn = clientOptions.placeOn;
    if (typeof placeOn === "string" && regions[placeOn] !== undefined) return placeOn;
    const wanted =
      roomName === RoomName.Arena ? (clientOptions.match as { region?: string } | undefined)?.region : undefined;
    if (wanted !== undefined) {
      const inRegion = live.find((process) => regions[process.processId] === wanted);
      if (inRegion !== undefined) return inRegion.processId;
      this.log.warn(
        { region: wanted },
        "no live process serves this region; placing the arena on the least loaded process",
      );
    }
    return live[0]?.processId ?? matchMaker.processId;
  };
}
