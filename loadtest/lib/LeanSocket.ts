/**
 * The client side of RFC 6455 on a bare `net.Socket`, for load-test bots: the opening handshake, binary frames out,
 * binary and text frames in (fragmented or not), ping answered with pong, the closing handshake. Nothing else: no
 * extensions (no permessage-deflate), no subprotocols, no redirects, no TLS.
 *
 * Why not the `ws` client: every frame it sends goes out as two buffers under cork/uncork (a `writev`), and every
 * chunk it receives passes through a Writable stream before its parser. A bot does one `write` per frame and
 * parses the chunk in place, which about halves the driver's CPU per message (docs/PERFORMANCE.md, "Bots"). Frames
 * carry the mask bit with a zero key: masking protects browsers' intermediaries, and a load generator gains nothing
 * from it (the server still checks the bit is set, as RFC 6455 requires).
 *
 * Received payloads are views into a read buffer shared by every LeanSocket: valid only during the `onMessage` call.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const MAX_HANDSHAKE_BYTES = 16 * 1024;
/** The largest message a bot accepts (whole state of a 100-player room is well below). */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The read buffer of every LeanSocket (see the constructor). */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export const ReadyState = { Connecting: 0, Open: 1, Closing: 2, Closed: 3 } as const;
type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** Close codes of RFC 6455 that never travel in a close frame: no status received, abnormal closure. */
export const NO_STATUS = 1005;
export const ABNORMAL = 1006;

export interface LeanSocketEvents {
  onOpen?(): void;
  onMessage?(data: Buffer): void;
  /** Once, when the socket is gone: the peer's close code, 1005 without one, 1006 without a closing handshake. */
  onClose?(code: number): void;
  /** Before `onClose`: a refused handshake, a protocol violation or a socket error. */
  onError?(error: Error): void;
}

export class HandshakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "HandshakeError";
  }
}

export class LeanSocket {
  readyState: ReadyState = ReadyState.Connecting;
  private readonly socket: net.Socket;
  private readonly key = randomBytes(16).toString("base64");
  /** Bytes received but not yet parsed (a partial handshake or frame). */
  private pending: Buffer | undefined;
  /** Payloads of a fragmented message so far. */
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;
  private closeCode = ABNORMAL;
  private closeSent = false;
  /** Frames are parsed from the handshake on, until a close frame, a protocol error or the end. */
  private reading = false;

  /** `url`: ws://host:port/path?query. `headers`: extra request headers. */
  constructor(
    url: string,
    private readonly events: LeanSocketEvents,
    headers: Record<string, string> = {},
  ) {
    const target = new URL(url);
    if (target.protocol !== "ws:") throw new TypeError(`LeanSocket speaks ws:// only, not ${target.protocol}`);
    const port = Number(target.port || 80);
    const lines = [
      `GET ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${this.key}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    this.socket = net.connect({
      host: target.hostname,
      port,
      noDelay: true,
      // Reads land in one buffer shared by every socket and are parsed at once: no Readable stream and no allocation
      // per read (about a tenth of the bots' CPU). Callbacks run one at a time, and `receive` copies out a frame cut
      // short before the next read can overwrite it.
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          this.receive((buffer as Buffer).subarray(0, bytes));
          return true;
        },
      },
    });
    this.socket.once("connect", () => this.socket.write(`${lines.join("\r\n")}\r\n\r\n`));
    this.socket.on("error", (error) => this.events.onError?.(error));
    this.socket.on("close", () => this.closed());
  }

  /**
   * Sends one binary message (dropped unless open): `prefix` then `payload`, framed into one buffer and one write.
   * Returns whether it was handed to the socket.
   */
  send(payload: Uint8Array, prefix?: Uint8Array): boolean {
    if (this.readyState !== ReadyState.Open) return false;
    this.socket.write(frame(Opcode.Binary, payload, prefix));
    return true;
  }

  /** Starts the closing handshake; the socket ends when the peer answers (or is destroyed after 2 s). */
  close(code = 1000): void {
    if (this.readyState === ReadyState.Connecting) {
      this.terminate();
      return;
    }
    if (this.readyState !== ReadyState.Open) return;
    this.readyState = ReadyState.Closing;
    this.sendClose(code);
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  /** Drops the connection without a closing handshake, as a lost network would (the peer sees 1006). */
  terminate(): void {
    this.socket.destroy();
  }

  private sendClose(code: number): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const body = Buffer.allocUnsafe(2);
    body.writeUInt16BE(code, 0);
    this.socket.write(frame(Opcode.Close, body));
  }

  private closed(): void {
    if (this.readyState === ReadyState.Closed) return;
    this.readyState = ReadyState.Closed;
    this.reading = false;
    this.pending = undefined;
    this.fragments = [];
    this.events.onClose?.(this.closeCode);
  }

  private fail(error: Error): void {
    this.reading = false;
    if (this.readyState !== ReadyState.Closed) this.readyState = ReadyState.Closing;
    this.events.onError?.(error);
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    let buffer = chunk;
    if (this.pending !== undefined) {
      buffer = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    let offset = 0;
    if (this.readyState === ReadyState.Connecting) {
      offset = this.handshake(buffer);
      if (offset < 0) return;
    }
    while (offset < buffer.byteLength && this.reading) {
      const used = this.parseFrame(buffer, offset);
      if (used === 0) break;
      offset += used;
    }
    if (offset < buffer.byteLength && this.reading) {
      // Keep a copy: the chunk's memory is reused by the socket.
      this.pending = Buffer.from(buffer.subarray(offset));
    }
  }

  /** Parses the server's handshake response; returns the offset of the first frame byte, or -1 (waiting/failed). */
  private handshake(buffer: Buffer): number {
    const end = buffer.indexOf("\r\n\r\n");
    if (end < 0) {
      if (buffer.byteLength > MAX_HANDSHAKE_BYTES) this.fail(new HandshakeError(0, "handshake response too long"));
      else this.pending = Buffer.from(buffer);
      return -1;
    }
    const [statusLine = "", ...headerLines] = buffer.toString("latin1", 0, end).split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    if (status !== 101) {
      this.fail(new HandshakeError(status, `upgrade refused: ${statusLine}`));
      return -1;
    }
    const accept = createHash("sha1")
      .update(this.key + GUID)
      .digest("base64");
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    if (headers.get("sec-websocket-accept") !== accept) {
      this.fail(new HandshakeError(status, "bad Sec-WebSocket-Accept"));
      return -1;
    }
    if (headers.has("sec-websocket-extensions")) {
      this.fail(new HandshakeError(status, "the server chose an extension this client did not offer"));
      return -1;
    }
    this.readyState = ReadyState.Open;
    this.reading = true;
    this.events.onOpen?.();
    return end + 4;
  }

  /** Parses one frame at `offset`; returns the bytes it took, or 0 when the frame is not complete yet. */
  private parseFrame(buffer: Buffer, offset: number): number {
    const available = buffer.byteLength - offset;
    if (available < 2) return 0;
    const first = buffer[offset]!;
    const second = buffer[offset + 1]!;
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if ((first & 0x70) !== 0 || (second & 0x80) !== 0) {
      this.fail(new Error("protocol error: reserved bits set or a masked server frame"));
      return 0;
    }
    let header = 2;
    let length = second & 0x7f;
    if (length === 126) {
      if (available < 4) return 0;
      length = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (available < 10) return 0;
      const high = buffer.readUInt32BE(offset + 2);
      length = high * 2 ** 32 + buffer.readUInt32BE(offset + 6);
      header = 10;
    }
    if (length > MAX_MESSAGE_BYTES) {
      this.fail(new Error(`message of ${length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`));
      return 0;
    }
    if (available < header + length) return 0;
    const payload = buffer.subarray(offset + header, offset + header + length);
    this.dispatch(fin, opcode, payload);
    return header + length;
  }

  private dispatch(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case Opcode.Binary:
      case Opcode.Text:
        if (this.fragments.length > 0) this.fail(new Error("protocol error: new message inside a fragmented one"));
        else if (fin) this.events.onMessage?.(payload);
        else this.addFragment(payload);
        return;
      case Opcode.Continuation:
        if (this.fragments.length === 0) {
          this.fail(new Error("protocol error: continuation without a message"));
          return;
        }
        this.addFragment(payload);
        if (fin && this.fragments.length > 0) {
          const message = Buffer.concat(this.fragments, this.fragmentBytes);
          this.fragments = [];
          this.fragmentBytes = 0;
          this.events.onMessage?.(message);
        }
        return;
      case Opcode.Close:
        this.closeCode = payload.byteLength >= 2 ? payload.readUInt16BE(0) : NO_STATUS;
        this.readyState = ReadyState.Closing;
        this.reading = false;
        this.sendClose(this.closeCode === NO_STATUS ? 1000 : this.closeCode);
        this.socket.end();
        return;
      case Opcode.Ping:
        if (!this.closeSent) this.socket.write(frame(Opcode.Pong, payload));
        return;
      case Opcode.Pong:
        return;
      default:
        this.fail(new Error(`protocol error: unknown opcode ${opcode}`));
    }
  }

  private addFragment(payload: Buffer): void {
    this.fragmentBytes += payload.byteLength;
    if (this.fragmentBytes > MAX_MESSAGE_BYTES) this.fail(new Error("fragmented message over the limit"));
    else this.fragments.push(Buffer.from(payload));
  }
}

/**
 * One client frame in one buffer: FIN, `opcode`, the mask bit with a zero key (so the payload goes as is), then
 * `prefix` (if any) and `payload` as one message.
 */
export function frame(opcode: number, payload: Uint8Array, prefix?: Uint8Array): Buffer {
  const prefixLength = prefix?.byteLength ?? 0;
  const length = prefixLength + payload.byteLength;
  const header = length < 126 ? 6 : length < 65536 ? 8 : 14;
  const out = Buffer.allocUnsafe(header + length);
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = 0x80 | length;
  else if (length < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  out.writeUInt32BE(0, header - 4);
  if (prefix !== undefined) out.set(prefix, header);
  out.set(payload, header + prefixLength);
  return out;
}
