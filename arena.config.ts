/**
 * The server definition: rooms, HTTP routes, presence and driver, built from services that the caller made. No
 * side effects: importing this file opens nothing and listens nowhere. `src/index.ts` turns the definition into a
 * listening server; tests hand it to `@colyseus/testing`'s `boot()` (the shape is @colyseus/tools' ConfigOptions).
 */
import type http from "node:http";
import { defineRoom, type RegisteredHandler, type ServerOptions } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import type { Application } from "express";
import { TrustedProxies } from "./src/http/clientAddress.ts";
import { type EdgeOptions, installEdge } from "./src/http/installEdge.ts";
import { upgradeOriginGuard } from "./src/http/originPolicy.ts";
import { installHttp } from "./src/http/installHttp.ts";
import { RoomName } from "./src/protocol.ts";
import { ChatRoom } from "./src/rooms/ChatRoom.ts";
import { MatchmakingRoom } from "./src/rooms/MatchmakingRoom.ts";
import { type BaseRoom, bindRoom, type RoomContext } from "./src/rooms/BaseRoom.ts";
import type { Services } from "./src/services/createServices.ts";

export interface ArenaServerDefinition {
  rooms: Record<string, RegisteredHandler>;
  options: ServerOptions;
  initializeExpress: (app: Application) => void;
  initializeTransport: (options: { server: http.Server }) => WebSocketTransport;
}

/** Largest WebSocket frame a client may send; a bigger one closes its connection (close code 1009). */
export const MAX_WS_PAYLOAD_BYTES = 4 * 1024;

/**
 * The WebSocket transport with the HTTP edge (installEdge) in front of Colyseus' router: Colyseus binds its router
 * when the server starts listening, and the edge goes in front of it right after.
 */
export class EdgeTransport extends WebSocketTransport {
  constructor(
    options: ConstructorParameters<typeof WebSocketTransport>[0] & { server: http.Server },
    private readonly edge: EdgeOptions,
  ) {
    super(options);
    // Colyseus registered its connection handler above; this one runs right after its first, synchronous step.
    this.wss.on("connection", (rawClient: { removeAllListeners(event: string): void; on: RawOn }) =>
      quietProtocolErrors(rawClient, edge.log),
    );
  }

  override listen(port: number, hostname?: string, backlog?: number, listeningListener?: () => void): this {
    super.listen(port, hostname, backlog, listeningListener);
    // Registered after Colyseus' own listening callback, which binds the router: the edge wraps what it bound.
    this.server?.once("listening", () => installEdge(this.server as http.Server, this.edge));
    return this;
  }
}

type RawOn = (event: "error", listener: (error: Error & { code?: string }) => void) => void;

/**
 * A client's WebSocket protocol error (a frame past MAX_WS_PAYLOAD_BYTES, invalid UTF-8, a bad opcode) closes its
 * connection (ws does that) and is the client's fault, not the server's; Colyseus would print its stack to stderr,
 * as often as a client likes. It becomes a debug line. An `error` listener must stay: without one, ws' error event
 * would throw and take the process down.
 */
function quietProtocolErrors(
  rawClient: { removeAllListeners(event: string): void; on: RawOn },
  log: EdgeOptions["log"],
): void {
  rawClient.removeAllListeners("error");
  rawClient.on("error", (error) =>
    log.debug({ reason: error.message, code: error.code }, "WebSocket closed for a protocol error"),
  );
}

/** Room classes by name. A class with a static `matchOn` shares rooms only between equal join options. */
export type RoomClasses = Record<string, new () => BaseRoom>;

/** The framework's own rooms; each registered game adds its match room under its id. */
export const ROOMS: RoomClasses = {
  [RoomName.Matchmaking]: MatchmakingRoom,
  [RoomName.Chat]: ChatRoom,
};

export function roomContext(services: Services): RoomContext {
  const { config } = services;
  return {
    log: services.log,
    auth: services.auth,
    connections: services.connections,
    matchmaking: { matchmaker: services.matchmaker },
    chat: { service: services.chat, regions: config.regions, shardSize: config.chatShardSize },
    admission: services.admission,
    playerConnections: services.playerConnections,
    capacity: { load: services.load, loadChanged: () => services.placement.loadChanged() },
    metrics: services.metrics,
    allowedOrigins: config.allowedOrigins,
    region: config.region,
    regions: config.regions,
    games: services.games,
    matches: {
      signer: services.matchSigner,
      sessions: services.sessions,
      results: services.results,
      settings: {
        tickRateHz: config.tickRateHz,
        patchRateHz: config.patchRateHz,
        matchDurationSec: config.matchDurationSec,
        reconnectWindowSec: config.reconnectWindowSec,
        snapshotIntervalMs: config.snapshotIntervalMs,
        turnTimeSec: config.turnTimeSec,
      },
    },
  };
}

/**
 * @param extraRooms rooms added to the production set, for tests (a test-only room, say).
 */
export function defineArena(services: Services, extraRooms: RoomClasses = {}): ArenaServerDefinition {
  const context = roomContext(services);
  const rooms: Record<string, RegisteredHandler> = {};
  const gameRooms = Object.fromEntries(
    services.games.list().map((game) => [game.id, game.room as unknown as new () => BaseRoom]),
  );
  for (const [name, RoomClass] of Object.entries({ ...gameRooms, ...ROOMS, ...extraRooms })) {
    const handler = defineRoom(bindRoom(RoomClass, context));
    const matchOn = (RoomClass as { matchOn?: readonly string[] }).matchOn;
    rooms[name] = matchOn === undefined ? handler : handler.filterBy([...matchOn]);
  }
  return {
    rooms,
    options: {
      presence: services.presence,
      driver: services.driver,
      ...(services.config.publicAddress === undefined ? {} : { publicAddress: services.config.publicAddress }),
      greet: false,
      selectProcessIdToCreateRoom: services.placement.select,
    },
    initializeExpress: (app) => installHttp(app, services),
    initializeTransport: ({ server }) =>
      new EdgeTransport(
        { server, maxPayload: MAX_WS_PAYLOAD_BYTES, beforeUpgrade: upgradeOriginGuard(services.config.allowedOrigins) },
        {
          trustedProxies: new TrustedProxies(services.config.trustedProxies),
          allowedOrigins: services.config.allowedOrigins,
          reconnectAdmission: services.reconnectAdmission,
          log: services.log.child({ component: "edge" }),
        },
      ),
  };
}
