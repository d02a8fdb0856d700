/**
 * A lean Colyseus 0.18 client over a bare WebSocket (lib/LeanSocket.ts), for load-test bots: the matchmake HTTP
 * call, the seat reservation's WebSocket, the JOIN_ROOM handshake and its acknowledgement, room messages (msgpack),
 * PING and LEAVE_ROOM. It decodes state only when asked to (`decode: true`, a sample of the bots); every other bot counts the bytes of
 * ROOM_STATE/ROOM_STATE_PATCH frames without parsing them. The layout follows @colyseus/sdk's Room.ts and
 * @colyseus/shared-types' Protocol.
 */
import { type Decoder, decode, encode, type Iterator, Reflection, type Schema } from "@colyseus/schema";
import { Packr, unpack } from "msgpackr";
import { LeanSocket, ReadyState } from "./LeanSocket.ts";

/** Protocol codes of @colyseus/shared-types (the low five bits of a frame's first byte). */
export const Code = {
  JoinRoom: 10,
  Error: 11,
  LeaveRoom: 12,
  RoomData: 13,
  RoomState: 14,
  RoomStatePatch: 15,
  RoomDataBytes: 17,
  Ping: 18,
} as const;
const CODE_MASK = 0x1f;
/** ProtocolModifier.TIMED: an 8-byte [sNow][inputSeq] prefix after the code byte. */
const TIMED = 0x20;

/** What the matchmaker answers to `POST /matchmake/<method>/<room>` (the SDK's ISeatReservation). */
export interface SeatReservation {
  name: string;
  roomId: string;
  sessionId: string;
  processId: string;
  publicAddress?: string;
  reconnectionToken?: string;
}

export class MatchmakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "MatchmakeError";
  }
}

/**
 * `POST <httpUrl>/matchmake/<method>/<roomName>` with the access token as the SDK sends it. `ip` goes into
 * X-Forwarded-For: the server trusts it from loopback, so each bot has its own throttle budget like a real player.
 */
export async function matchmake(
  httpUrl: string,
  method: "joinOrCreate" | "create" | "join" | "joinById" | "reconnect",
  roomName: string,
  options: Record<string, unknown>,
  token: string | undefined,
  ip: string,
): Promise<SeatReservation> {
  const headers: Record<string, string> = { "content-type": "application/json", "x-forwarded-for": ip };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${httpUrl}/matchmake/${method}/${roomName}`, {
    method: "POST",
    headers,
    body: JSON.stringify(options),
  });
  const body = (await res.json().catch(() => ({}))) as SeatReservation & { error?: string; code?: number };
  if (res.status !== 200 || body.error !== undefined) {
    throw new MatchmakeError(res.status, `${roomName}: ${res.status} ${body.error ?? ""}`.trim());
  }
  return body;
}

/** The WebSocket address of a seat, as the SDK builds it (`/<processId>/<roomId>?sessionId=…`). */
export function seatUrl(
  seat: SeatReservation,
  fallbackHost: string,
  token: string | undefined,
  reconnectionToken?: string,
): string {
  const params = new URLSearchParams({ sessionId: seat.sessionId });
  if (reconnectionToken !== undefined) {
    params.set("reconnectionToken", reconnectionToken);
    params.set("skipHandshake", "1");
  }
  if (token !== undefined) params.set("_authToken", token);
  return `ws://${seat.publicAddress ?? fallbackHost}/${seat.processId}/${seat.roomId}?${params}`;
}

/** Encodes the header of a ROOM_DATA frame for a string message type: [13][type]. */
export function roomDataHeader(type: string): Uint8Array {
  const buffer = new Uint8Array(1 + 9 + Buffer.byteLength(type));
  buffer[0] = Code.RoomData;
  const it: Iterator = { offset: 1 };
  encode.string(buffer as Buffer, type, it);
  return buffer.slice(0, it.offset);
}

/** Parses a ROOM_DATA frame into its type and msgpack payload. */
export function parseRoomData(frame: Uint8Array): { type: string | number; payload: unknown } {
  const it: Iterator = { offset: 1 };
  const buffer = frame as Buffer;
  const type = decode.stringCheck(buffer, it) ? decode.string(buffer, it) : decode.number(buffer, it);
  const payload = frame.byteLength > it.offset ? unpack(buffer, { start: it.offset }) : undefined;
  return { type, payload };
}

/** The fields of a JOIN_ROOM frame (server → client). */
export interface JoinHandshake {
  reconnectionToken: string;
  serializerId: string;
  /** The state reflection bytes (empty when the server skipped the handshake on a reconnection). */
  reflection: Uint8Array;
}

export function parseJoinRoom(frame: Uint8Array): JoinHandshake {
  const buffer = frame as Buffer;
  const it: Iterator = { offset: 1 };
  const reconnectionToken = decode.utf8Read(buffer, it, buffer[it.offset++]!);
  const serializerId = decode.utf8Read(buffer, it, buffer[it.offset++]!);
  const length = it.offset < frame.byteLength ? decode.number(buffer, it) : 0;
  return { reconnectionToken, serializerId, reflection: frame.subarray(it.offset, it.offset + length) };
}

/** Which events a {@link WireRoom} reports to its owner. */
export interface WireRoomEvents {
  /** A ROOM_DATA message. */
  onMessage?(type: string | number, payload: unknown): void;
  /** After ROOM_STATE or a patch was applied (decoding rooms only). */
  onState?(state: Schema): void;
  /** A PING answer; rttMs measured from the matching {@link WireRoom.ping}. */
  onPong?(rttMs: number): void;
  onClose?(code: number): void;
  onError?(code: number, message: string): void;
}

const JOIN_ACK = new Uint8Array([Code.JoinRoom]);
const PING = new Uint8Array([Code.Ping]);
const LEAVE = new Uint8Array([Code.LeaveRoom]);

/** Byte and frame counters, shared by the rooms of a fleet (one addition per frame, no per-room bookkeeping). */
export interface Traffic {
  /** Every byte received (WebSocket payloads). */
  bytesIn: number;
  /** Bytes of ROOM_STATE and ROOM_STATE_PATCH frames alone. */
  stateBytesIn: number;
  framesIn: number;
}

/** One connection to one room. */
export class WireRoom {
  reconnectionToken = "";
  decoder: Decoder | undefined;
  closed = false;
  private pingSentAt = 0;
  private socket: LeanSocket | undefined;
  /** The pending {@link connect}, until the JOIN_ROOM handshake, an ERROR frame or a close settles it. */
  private joining: { resolve(): void; reject(error: Error): void } | undefined;
  private joined = false;

  constructor(
    readonly seat: SeatReservation,
    private readonly events: WireRoomEvents,
    private readonly decodeState: boolean,
    private readonly traffic: Traffic,
  ) {}

  /** Opens the seat's socket and resolves after the JOIN_ROOM handshake (rejects on an ERROR frame or a close). */
  connect(url: string, headers: Record<string, string>, existingDecoder?: Decoder): Promise<void> {
    if (existingDecoder !== undefined) this.decoder = existingDecoder;
    this.closed = false;
    this.joined = false;
    return new Promise((resolve, reject) => {
      this.joining = { resolve, reject };
      let failure: Error | undefined;
      this.socket = new LeanSocket(
        url,
        {
          onMessage: (data) => this.receive(data),
          onError: (error) => {
            failure ??= error;
          },
          onClose: (code) => {
            this.closed = true;
            if (this.joined) this.events.onClose?.(code);
            else this.settleJoin(failure ?? new MatchmakeError(code, `closed with ${code} before joining`));
          },
        },
        headers,
      );
    });
  }

  /** Resolves (no error) or rejects the pending {@link connect}. */
  private settleJoin(error?: Error): void {
    const joining = this.joining;
    this.joining = undefined;
    this.joined = error === undefined;
    if (error === undefined) joining?.resolve();
    else joining?.reject(error);
  }

  private receive(data: Buffer): void {
    const traffic = this.traffic;
    traffic.bytesIn += data.byteLength;
    traffic.framesIn += 1;
    const code = data[0]! & CODE_MASK;
    if (code === Code.RoomStatePatch || code === Code.RoomState) {
      traffic.stateBytesIn += data.byteLength;
      if (this.decoder === undefined) return;
      const it: Iterator = { offset: data[0]! & TIMED ? 9 : 1 };
      if (code === Code.RoomState && this.decoder.root.refs.size > 1) this.decoder.decodeResync(data, it);
      else this.decoder.decode(data, it);
      this.events.onState?.(this.decoder.state);
    } else if (code === Code.RoomData) {
      const { type, payload } = parseRoomData(data);
      this.events.onMessage?.(type, payload);
    } else if (code === Code.Ping) {
      this.events.onPong?.(performance.now() - this.pingSentAt);
    } else if (code === Code.JoinRoom) {
      const handshake = parseJoinRoom(data);
      this.reconnectionToken = handshake.reconnectionToken;
      if (this.decodeState && this.decoder === undefined && handshake.reflection.byteLength > 0) {
        this.decoder = Reflection.decode(handshake.reflection as Buffer);
      }
      this.socket?.send(JOIN_ACK);
      this.settleJoin();
    } else if (code === Code.Error) {
      const it: Iterator = { offset: 1 };
      const errorCode = decode.number(data, it);
      const message = decode.string(data, it);
      this.events.onError?.(errorCode, message);
      if (this.joining !== undefined) this.settleJoin(new MatchmakeError(errorCode, message));
    }
  }

  get isOpen(): boolean {
    return this.socket?.readyState === ReadyState.Open;
  }

  /** Sends one message: `prefix` (a message header such as {@link roomDataHeader}'s) then `payload`. */
  send(payload: Uint8Array, prefix?: Uint8Array): void {
    this.socket?.send(payload, prefix);
  }

  ping(): void {
    if (this.socket?.readyState !== ReadyState.Open) return;
    this.pingSentAt = performance.now();
    this.socket.send(PING);
  }

  /** Consented leave (LEAVE_ROOM; the server closes with 4000). */
  leave(): void {
    this.socket?.send(LEAVE);
  }

  /** Drops the socket without a LEAVE_ROOM, as a lost connection would (the server holds the seat). */
  drop(): void {
    this.socket?.terminate();
  }
}

/** One shared msgpack encoder for every bot of a process (no structure records: plain msgpack, as the SDK). */
export function createPackr(): Packr {
  return new Packr({ useRecords: false });
}
