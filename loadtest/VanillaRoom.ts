/**
 * The baseline for the arena benchmark: what a plain Colyseus room does to move the same number of players — a
 * `move` message sets a velocity, a 30 Hz simulation integrates it, every client sees every player, patches at
 * 20 Hz. No validation, interest management, projectiles or lag compensation. Hosted by loadtest/benchHost.ts.
 */
import { type Client, Room } from "@colyseus/core";
import { MapSchema, Schema, type } from "@colyseus/schema";

export class VanillaPlayer extends Schema {
  @type("float32") x = 0;
  @type("float32") y = 0;
  @type("float32") angle = 0;
  @type("uint32") ack = 0;
  vx = 0;
  vy = 0;
}

export class VanillaState extends Schema {
  @type({ map: VanillaPlayer }) players = new MapSchema<VanillaPlayer>();
}

export class VanillaRoom extends Room<{ state: VanillaState }> {
  override maxClients = 1000;

  /** `size`: players per room (matched with `filterBy(["size"])`), so rooms hold as many as the arenas compared. */
  override onCreate(options: { size?: number }): void {
    if (typeof options?.size === "number" && options.size > 0) this.maxClients = options.size;
    this.setState(new VanillaState());
    this.patchRate = 50;
    this.onMessage("input", (client: Client, message: { seq: number; moveX: number; moveY: number; aim: number }) => {
      const player = this.state.players.get(client.sessionId);
      if (player === undefined) return;
      player.vx = message.moveX * 300;
      player.vy = message.moveY * 300;
      player.angle = message.aim;
      player.ack = message.seq;
    });
    this.setSimulationInterval((dt) => {
      this.state.players.forEach((p) => {
        p.x = Math.min(2400, Math.max(0, p.x + (p.vx * dt) / 1000));
        p.y = Math.min(1800, Math.max(0, p.y + (p.vy * dt) / 1000));
      });
    }, 1000 / 30);
  }

  override onJoin(client: Client): void {
    const player = new VanillaPlayer();
    player.x = Math.random() * 2400;
    player.y = Math.random() * 1800;
    this.state.players.set(client.sessionId, player);
  }

  override onLeave(client: Client): void {
    this.state.players.delete(client.sessionId);
  }
}
