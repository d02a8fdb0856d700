/**
 * The arena's synchronised state. Data only: fields with explicit wire types and defaults. Field order is the wire
 * contract: append, never reorder. `players` and `projectiles` are `@view()` collections: each client receives only
 * the entries its StateView holds (its own player, teammates, and what is near it).
 */
import { MapSchema, Schema, type, view } from "@colyseus/schema";

/** StateView tag of a client's own player: fields only its owner receives. */
export const OWN_VIEW_TAG = 1;

export class PlayerState extends Schema {
  @type("string") playerId = "";
  @type("string") username = "";
  @type("uint8") team = 0;
  @type("boolean") bot = false;
  /** World units, rounded to whole units on the wire (int16: maps are at most 32,767 units across). */
  @type("int16") x = 0;
  @type("int16") y = 0;
  @type("float32") angle = 0;
  @type("uint8") hp = 0;
  @type("uint16") kills = 0;
  @type("uint16") deaths = 0;
  @type("boolean") alive = true;
  /**
   * The last input seq the server applied: what the client reconciles its prediction against. Sent only to the
   * player's own client (view tag {@link OWN_VIEW_TAG}): nobody else reconciles against it.
   */
  @view(OWN_VIEW_TAG) @type("uint32") ack = 0;
  /** Whether the player's connection is currently dropped (seat held for reconnection). */
  @type("boolean") connected = true;
}

export class ProjectileState extends Schema {
  @type("string") owner = "";
  /** World units, rounded to whole units on the wire, as a player's. */
  @type("int16") x = 0;
  @type("int16") y = 0;
  @type("float32") vx = 0;
  @type("float32") vy = 0;
}

export class ArenaState extends Schema {
  @type("string") phase = "waiting";
  @type("uint32") tick = 0;
  /** Time left in the phase, rounded up to the whole second (it changes once a second). */
  @type("uint32") timeLeftMs = 0;
  @type("string") mode = "duel";
  @type("string") mapId = "";
  @view() @type({ map: PlayerState }) players = new MapSchema<PlayerState>();
  @view() @type({ map: ProjectileState }) projectiles = new MapSchema<ProjectileState>();
  /** The server's fixed steps per second (TICK_RATE_HZ): clients predict and send inputs at this rate. */
  @type("uint8") tickRateHz = 0;
}
