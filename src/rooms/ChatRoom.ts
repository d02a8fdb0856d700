/**
 * The `chat` room: a lobby channel (`global` or `region:<region>`). A channel may hold more players than one room
 * should, so rooms are shards of at most `shardSize` members, matched by channel; every shard on every process
 * subscribes to the channel's presence topic, so every member sees every message. New members get the last 50
 * messages as `history`.
 */
import { type Client, ServerError } from "@colyseus/core";
import { ChatJoinOptions, ClientMessage, LobbyChatMessage, ServerMessage } from "../protocol.ts";
import { type ChatMessage, ChatRefusal, lobbyTopic } from "../services/chat/ChatService.ts";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import { BaseRoom, invalidOptions, type PlayerAuth, type RoomContext } from "./BaseRoom.ts";
import { BlockLists } from "./chat/BlockLists.ts";

export class ChatRoom extends BaseRoom<{ client: Client<{ auth: PlayerAuth }> }> {
  /** Join options that must match for a client to share a room: one channel per shard. */
  static readonly matchOn = ["channel"];
  /** Refuses a malformed channel, or a region channel outside REGIONS, at the HTTP matchmaking step. */
  static checkJoinOptions(options: unknown, context: RoomContext): void {
    const parsed = ChatJoinOptions.safeParse(options ?? {});
    if (!parsed.success) throw invalidOptions(parsed.error);
    const { channel } = parsed.data;
    if (channel.startsWith("region:") && !context.regions.includes(channel.slice("region:".length))) {
      throw new AppError(ErrorCode.InvalidInput, `channel: region must be one of ${context.regions.join(", ")}`, {
        field: "channel",
      });
    }
  }

  private channel = "";
  private blockLists!: BlockLists;
  private readonly deliver = (message: ChatMessage) => {
    for (const client of this.clients) {
      if (!this.blockLists.blocks(client.sessionId, message.from)) client.send(ServerMessage.Message, message);
    }
  };

  override async onCreate(options: unknown): Promise<void> {
    const parsed = ChatJoinOptions.safeParse(options ?? {});
    if (!parsed.success) throw new ServerError(400, `channel: ${parsed.error.issues[0]?.message ?? "invalid"}`);
    const { channel } = parsed.data;
    const { regions, shardSize, service } = this.context.chat;
    if (channel.startsWith("region:") && !regions.includes(channel.slice("region:".length))) {
      throw new ServerError(400, `channel: region must be one of ${regions.join(", ")}`);
    }
    this.channel = channel;
    this.maxClients = shardSize;
    this.setMetadata({ channel });
    this.blockLists = new BlockLists(service, this.presence);
    this.messageLimits = { maxPerSecond: 10, maxStrikes: 10 };
    await this.presence.subscribe(lobbyTopic(channel), this.deliver);

    this.handle(ClientMessage.Message, LobbyChatMessage, async (client, { text }) => {
      const auth = client.auth as PlayerAuth;
      try {
        await service.postLobby(this.channel, auth, text);
      } catch (error) {
        if (error instanceof ChatRefusal) this.sendError(client, error.code, error.message);
        else throw error;
      }
    });
  }

  override async onJoin(client: Client<{ auth: PlayerAuth }>): Promise<void> {
    const auth = client.auth as PlayerAuth;
    await this.blockLists.attach(client.sessionId, auth.playerId);
    client.send(ServerMessage.History, { messages: await this.context.chat.service.lobbyHistory(this.channel) });
  }

  override async onLeave(client: Client<{ auth: PlayerAuth }>): Promise<void> {
    this.forgetClient(client);
    await this.blockLists.detach(client.sessionId);
  }

  override async onDispose(): Promise<void> {
    // A room whose options onCreate refused is disposed too: it has no channel, subscription or members.
    if (this.channel === "") return;
    await this.presence.unsubscribe(lobbyTopic(this.channel), this.deliver);
    await this.blockLists.detachAll();
  }
}
