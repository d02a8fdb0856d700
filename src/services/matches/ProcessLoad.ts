/**
 * This process' own load, counted exactly from the rooms it hosts (Colyseus' persisted stats lag behind joins), and
 * its caps: MAX_ROOMS arena rooms and MAX_CCU connected clients. Rooms register when created and leave when
 * disposed (see `bindRoom`); placement and admission read the counts.
 */
import type { Room } from "@colyseus/core";
import { RoomName } from "../../protocol.ts";

export interface Caps {
  /** Arena rooms this process hosts at most; 0 = no cap. */
  maxRooms: number;
  /** Connected clients this process accepts at most; 0 = no cap. */
  maxCcu: number;
}

/** Whether one more arena would pass MAX_ROOMS (0 = no cap). One rule for this process and for its peers. */
export function arenasFull(caps: Caps, arenas: number): boolean {
  return caps.maxRooms > 0 && arenas >= caps.maxRooms;
}

/** Whether one more client would pass MAX_CCU (0 = no cap). */
export function ccuFull(caps: Caps, ccu: number): boolean {
  return caps.maxCcu > 0 && ccu >= caps.maxCcu;
}

export class ProcessLoad {
  private readonly rooms = new Set<Room>();

  constructor(readonly caps: Caps) {}

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

  /** Arena rooms hosted here, including those still being created. */
  get arenas(): number {
    let arenas = 0;
    for (const room of this.rooms) if (room.roomName === RoomName.Arena) arenas += 1;
    return arenas;
  }

  /** True when one more arena would pass MAX_ROOMS. */
  arenasFull(): boolean {
    return arenasFull(this.caps, this.arenas);
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
