/**
 * Per-client visibility of the arena state (StateView): own player and teammates always; other players and
 * projectiles within the view radius, found through a spatial grid rebuilt on each refresh.
 */
import type { Client } from "@colyseus/core";
import { type Schema, StateView } from "@colyseus/schema";
import { type ArenaState, OWN_VIEW_TAG } from "./ArenaState.ts";
import { type Positioned, SpatialGrid } from "./Interest.ts";

interface ClientView {
  client: Client;
  players: Set<string>;
  projectiles: Set<string>;
}

/** What interest management has cost so far: refreshes done and their total time. */
export interface InterestStats {
  refreshes: number;
  totalMs: number;
}

export class ArenaViews {
  readonly stats: InterestStats = { refreshes: 0, totalMs: 0 };
  private readonly views = new Map<string, ClientView>();
  private readonly playerGrid: SpatialGrid;
  private readonly projectileGrid: SpatialGrid;

  constructor(
    private readonly state: ArenaState,
    private readonly radius: number,
  ) {
    this.playerGrid = new SpatialGrid(radius);
    this.projectileGrid = new SpatialGrid(radius);
  }

  /** Gives the client a fresh view holding its own player; the next refresh adds the rest. */
  attach(client: Client): void {
    client.view = new StateView();
    const own = this.state.players.get(client.sessionId);
    // The own player with its owner-only fields (`ack`); others are added untagged by `refresh`.
    if (own !== undefined) client.view.add(own, OWN_VIEW_TAG);
    this.views.set(client.sessionId, {
      client,
      players: new Set(own === undefined ? [] : [client.sessionId]),
      projectiles: new Set(),
    });
  }

  detach(sessionId: string): void {
    this.views.delete(sessionId);
  }

  /** Recomputes every client's visible set and applies the difference to its StateView. */
  refresh(): void {
    const started = performance.now();
    const players: Positioned[] = [];
    this.state.players.forEach((p, key) => {
      players.push({ key, x: p.x, y: p.y });
    });
    const projectiles: Positioned[] = [];
    this.state.projectiles.forEach((p, key) => {
      projectiles.push({ key, x: p.x, y: p.y });
    });
    this.playerGrid.rebuild(players);
    this.projectileGrid.rebuild(projectiles);

    for (const [sessionId, view] of this.views) {
      const me = this.state.players.get(sessionId);
      if (me === undefined || view.client.view === undefined) continue;
      const wantPlayers = this.playerGrid.near(me.x, me.y, this.radius, new Set([sessionId]));
      this.state.players.forEach((p, key) => {
        if (p.team === me.team) wantPlayers.add(key);
      });
      this.apply(view.client.view, view.players, wantPlayers, (key) => this.state.players.get(key));
      const wantProjectiles = this.projectileGrid.near(me.x, me.y, this.radius, new Set());
      this.apply(view.client.view, view.projectiles, wantProjectiles, (key) => this.state.projectiles.get(key));
    }
    this.stats.refreshes += 1;
    this.stats.totalMs += performance.now() - started;
  }

  private apply<T extends Schema>(
    view: StateView,
    current: Set<string>,
    wanted: Set<string>,
    lookup: (key: string) => T | undefined,
  ): void {
    for (const key of current) {
      if (wanted.has(key)) continue;
      const item = lookup(key);
      if (item !== undefined && view.has(item)) view.remove(item);
      current.delete(key);
    }
    for (const key of wanted) {
      if (current.has(key)) continue;
      const item = lookup(key);
      if (item === undefined) continue;
      view.add(item);
      current.add(key);
    }
  }

  /** Forgets a removed projectile everywhere (its schema entry is gone). */
  dropProjectile(key: string): void {
    for (const view of this.views.values()) view.projectiles.delete(key);
  }
}
