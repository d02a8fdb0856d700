import type { Queryable } from "../db/Database.ts";
import { newId } from "../ids.ts";

export interface ChatMessageRecord {
  id: string;
  channel: string;
  playerId: string;
  username: string;
  text: string;
  createdAt: Date;
}

/** Persisted chat history per channel. */
export interface ChatMessageStore {
  append(message: Omit<ChatMessageRecord, "id" | "createdAt">): Promise<ChatMessageRecord>;
  /** The newest `limit` messages of the channel, oldest first. */
  recent(channel: string, limit: number): Promise<ChatMessageRecord[]>;
  /**
   * Retention: deletes at most `limit` messages sent before `before` that are not among the newest `keep` of their
   * channel (the lobby history); returns how many.
   */
  prune(before: Date, keep: number, limit: number): Promise<number>;
}

interface ChatMessageRow {
  id: string;
  channel: string;
  player_id: string;
  username: string;
  text: string;
  created_at: Date;
}

function toRecord(row: ChatMessageRow): ChatMessageRecord {
  return {
    id: row.id,
    channel: row.channel,
    playerId: row.player_id,
    username: row.username,
    text: row.text,
    createdAt: row.created_at,
  };
}

export class SqlChatMessageStore implements ChatMessageStore {
  constructor(private readonly db: Queryable) {}

  async append(message: Omit<ChatMessageRecord, "id" | "createdAt">): Promise<ChatMessageRecord> {
    const [row] = await this.db.query<ChatMessageRow>(
      `INSERT INTO chat_messages (id, channel, player_id, username, text) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, channel, player_id, username, text, created_at`,
      [newId(), message.channel, message.playerId, message.username, message.text],
    );
    return toRecord(row!);
  }

  async recent(channel: string, limit: number): Promise<ChatMessageRecord[]> {
    // seq orders messages by insertion, which created_at cannot do within one clock tick.
    const rows = await this.db.query<ChatMessageRow>(
      `SELECT id, channel, player_id, username, text, created_at FROM (
         SELECT * FROM chat_messages WHERE channel = $1 ORDER BY seq DESC LIMIT $2
       ) newest ORDER BY seq ASC`,
      [channel, limit],
    );
    return rows.map(toRecord);
  }

  prune(before: Date, keep: number, limit: number): Promise<number> {
    // The newest `keep` of a channel have seq >= its keep-th newest seq; a channel with fewer keeps everything
    // (the subquery is NULL and the comparison false).
    return this.db.execute(
      `DELETE FROM chat_messages WHERE id IN (
         SELECT old.id FROM chat_messages old
          WHERE old.created_at < $1
            AND old.seq < (SELECT seq FROM chat_messages h WHERE h.channel = old.channel
                            ORDER BY seq DESC OFFSET $2 LIMIT 1)
          LIMIT $3)`,
      [before, keep - 1, limit],
    );
  }
}
