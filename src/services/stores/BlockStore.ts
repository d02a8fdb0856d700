import type { Queryable } from "../db/Database.ts";

/** Who blocked whom: a blocked player's chat is not delivered to the blocker. */
export interface BlockStore {
  /** False when `blocked` is not a player. */
  block(playerId: string, blocked: string): Promise<boolean>;
  unblock(playerId: string, blocked: string): Promise<void>;
  /** The players `playerId` has blocked. */
  blockedBy(playerId: string): Promise<Set<string>>;
}

export class SqlBlockStore implements BlockStore {
  constructor(private readonly db: Queryable) {}

  async block(playerId: string, blocked: string): Promise<boolean> {
    const inserted = await this.db.execute(
      `INSERT INTO player_blocks (player_id, blocked_player_id)
       SELECT $1, id FROM players WHERE id = $2 ON CONFLICT DO NOTHING`,
      [playerId, blocked],
    );
    if (inserted === 1) return true;
    const exists = await this.db.query("SELECT 1 FROM players WHERE id = $1", [blocked]);
    return exists.length === 1;
  }

  async unblock(playerId: string, blocked: string): Promise<void> {
    await this.db.execute("DELETE FROM player_blocks WHERE player_id = $1 AND blocked_player_id = $2", [
      playerId,
      blocked,
    ]);
  }

  async blockedBy(playerId: string): Promise<Set<string>> {
    const rows = await this.db.query<{ blocked_player_id: string }>(
      "SELECT blocked_player_id FROM player_blocks WHERE player_id = $1",
      [playerId],
    );
    return new Set(rows.map((row) => row.blocked_player_id));
  }
}
