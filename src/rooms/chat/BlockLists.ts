/**
 * The block lists of a room's clients, kept current: loaded on join, updated when the player blocks or unblocks
 * (a presence message, so a block made through HTTP on any process applies at once).
 */
import type { Presence } from "@colyseus/core";
import { blocksTopic, type ChatService } from "../../services/chat/ChatService.ts";

interface Entry {
  playerId: string;
  blocked: Set<string>;
  listener: (change: { blocked: string; on: boolean }) => void;
}

export class BlockLists {
  private readonly bySession = new Map<string, Entry>();

  constructor(
    private readonly chat: ChatService,
    private readonly presence: Presence,
  ) {}

  async attach(sessionId: string, playerId: string): Promise<void> {
    const blocked = await this.chat.blockedBy(playerId);
    const listener = (change: { blocked: string; on: boolean }) => {
      if (change.on) blocked.add(change.blocked);
      else blocked.delete(change.blocked);
    };
    this.bySession.set(sessionId, { playerId, blocked, listener });
    await this.presence.subscribe(blocksTopic(playerId), listener);
  }

  async detach(sessionId: string): Promise<void> {
    const entry = this.bySession.get(sessionId);
    if (entry === undefined) return;
    this.bySession.delete(sessionId);
    await this.presence.unsubscribe(blocksTopic(entry.playerId), entry.listener);
  }

  /** Whether the client of `sessionId` blocked `senderId`. */
  blocks(sessionId: string, senderId: string): boolean {
    return this.bySession.get(sessionId)?.blocked.has(senderId) ?? false;
  }

  async detachAll(): Promise<void> {
    for (const sessionId of [...this.bySession.keys()]) await this.detach(sessionId);
  }
}
