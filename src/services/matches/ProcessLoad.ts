/**
 * This process' own load, counted exactly from the rooms it hosts (Colyseus' persisted stats lag behind joins), and
 * its caps: MAX_ROOMS match rooms (of every registered game) and MAX_CCU connected clients. Rooms register when created and leave when
 * disposed (see `bindRoom`); placement and admission read the counts.
 */
import type { Room } from "@colyseus/core";

export interface Caps {
  /** Match rooms this process hosts at most; 0 = no cap. */
  maxRooms: number;
  /** Connected clients this process accepts at most; 0 = no cap. */
  maxCcu: number;
}

/** Whether one more match would pass MAX_ROOMS (0 = no cap). One rule for this process and for its peers. */
export function matchesFull(caps: Caps, matches: number): boolean {
  return caps.maxRooms > 0 && matches >= caps.maxRooms;
}

/** Whether one more client would pass MAX_CCU (0 = no cap). */
export function ccuFull(caps: Caps, ccu: number): boolean {
  return caps.maxCcu > 0 && ccu >= caps.maxCcu;
}

export class ProcessLoad {
  private readonly rooms = new Set<Room>();

  /** @param isMatchRoom whether rooms of this name are matches (a registered game's room), counted by MAX_ROOMS. */
  constructor(
    readonly caps: Caps,
    readonly isMatchRoom: (roomName: string) => boolean,
  ) {}

  add(room: Room): void {
    this.rooms.add(room);
  }

  remove(room: Room): void {
    this.rooms.delete(room);
  }

  /** Clients connected to this process' rooms. */
  get ccu(): number {
    let ccu = 0;
    for (const room of this.rooms) ccu += room.clients.length;
    return ccu;
  }

  /** Match rooms hosted here, including those still being created. */
  get matches(): number {
    let matches = 0;
    for (const room of this.rooms) if (this.isMatchRoom(room.roomName)) matches += 1;
    return matches;
  }

  /** True when one more match would pass MAX_ROOMS. */
  matchesFull(): boolean {
    return matchesFull(this.caps, this.matches);
  }

  /** True when the clients already connected exceed MAX_CCU (a joining client is counted once it is in a room). */
  overCcu(): boolean {
    return ccuFull(this.caps, this.ccu - 1);
  }

  roomsByType(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const room of this.rooms) counts.set(room.roomName, (counts.get(room.roomName) ?? 0) + 1);
    return counts;
  }

  clientsByRoom(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const room of this.rooms) counts.set(room.roomName, (counts.get(room.roomName) ?? 0) + room.clients.length);
    return counts;
  }
}
