import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { once } from "node:events";
import { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import { ABNORMAL, HandshakeError, LeanSocket, ReadyState } from "../../loadtest/lib/LeanSocket.ts";

/** A LeanSocket with its events as promises and everything it received. */
function open(url: string, headers?: Record<string, string>) {
  const messages: Buffer[] = [];
  const errors: Error[] = [];
  let onMessage = () => {};
  let opened!: () => void;
  let closedWith!: (code: number) => void;
  const socket = new LeanSocket(
    url,
    {
      onOpen: () => opened(),
      onMessage: (data) => {
        messages.push(Buffer.from(data));
        onMessage();
      },
      onError: (error) => errors.push(error),
      onClose: (code) => closedWith(code),
    },
    headers,
  );
  const nextMessages = (n: number) =>
    new Promise<void>((resolve) => {
      onMessage = () => {
        if (messages.length >= n) resolve();
      };
      onMessage();
    });
  return {
    socket,
    // The socket connects on a later turn of the event loop: these are in place before any event.
    opened: new Promise<void>((resolve) => {
      opened = resolve;
    }),
    closed: new Promise<number>((resolve) => {
      closedWith = resolve;
    }),
    messages,
    errors,
    nextMessages,
  };
}

describe("LeanSocket (the bots' WebSocket client)", () => {
  let wss: WebSocketServer;
  let url: string;
  let serverSide: Promise<{ socket: ServerSocket; headers: http.IncomingHttpHeaders; path: string }>;

  beforeEach(async () => {
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
    await once(wss, "listening");
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/proc/room?sessionId=abc`;
    serverSide = new Promise((resolve) =>
      wss.once("connection", (socket, req) => resolve({ socket, headers: req.headers, path: req.url ?? "" })),
    );
  });

  afterEach(async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });

  it("opens with the request's path, query and headers and exchanges binary messages of every length form", async () => {
    const client = open(url, { "x-forwarded-for": "10.1.2.3" });
    await client.opened;
    const { socket: server, headers, path } = await serverSide;
    assert.equal(path, "/proc/room?sessionId=abc");
    assert.equal(headers["x-forwarded-for"], "10.1.2.3");
    assert.equal(client.socket.readyState, ReadyState.Open);

    const received: Buffer[] = [];
    server.on("message", (data: Buffer) => received.push(data));
    // 7-bit, 16-bit and 64-bit payload lengths, each way.
    const payloads = [Buffer.from([1, 2, 3]), Buffer.alloc(300, 9), Buffer.alloc(70_000, 5)];
    for (const payload of payloads) assert.equal(client.socket.send(payload), true);
    // A header and a body go as one message.
    assert.equal(client.socket.send(Buffer.from([8, 9]), Buffer.from([13, 7])), true);
    for (const payload of payloads) server.send(payload);
    await client.nextMessages(3);
    await new Promise<void>((resolve) => {
      const check = () => (received.length >= 4 ? resolve() : setTimeout(check, 5));
      check();
    });
    assert.deepEqual(received, [...payloads, Buffer.from([13, 7, 8, 9])]);
    assert.deepEqual(client.messages, payloads);
    assert.deepEqual(client.errors, []);
  });

  it("joins a fragmented message, answers a ping with a pong and reports the server's close code", async () => {
    const client = open(url);
    await client.opened;
    const { socket: server } = await serverSide;
    server.send(Buffer.from("frag"), { fin: false });
    server.send(Buffer.from("mented"), { fin: true });
    await client.nextMessages(1);
    assert.equal(client.messages[0]?.toString(), "fragmented");

    const pong = once(server, "pong");
    server.ping(Buffer.from("hi"));
    const [data] = (await pong) as [Buffer];
    assert.equal(data.toString(), "hi");

    server.close(4001, "kicked");
    assert.equal(await client.closed, 4001);
    assert.equal(client.socket.readyState, ReadyState.Closed);
  });

  it("closes with a closing handshake, and terminate() looks like a lost connection to the server", async () => {
    const first = open(url);
    await first.opened;
    const { socket: server } = await serverSide;
    const serverClosed = once(server, "close");
    first.socket.close(4000);
    const [code] = (await serverClosed) as [number];
    assert.equal(code, 4000);
    assert.equal(await first.closed, 4000);
    assert.equal(first.socket.send(Buffer.from([1])), false, "nothing goes out once closed");

    const next = new Promise<ServerSocket>((resolve) => wss.once("connection", resolve));
    const second = open(url);
    await second.opened;
    const dropped = once(await next, "close");
    second.socket.terminate();
    const [droppedCode] = (await dropped) as [number];
    assert.equal(droppedCode, ABNORMAL);
    assert.equal(await second.closed, ABNORMAL);
  });

  it("reports a refused upgrade with its HTTP status", async () => {
    const refusing = http.createServer((_req, res) => res.end());
    refusing.on("upgrade", (_req, socket) => socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"));
    refusing.listen(0, "127.0.0.1");
    await once(refusing, "listening");
    try {
      const client = open(`ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/x`);
      assert.equal(await client.closed, ABNORMAL);
      assert.equal(client.errors.length, 1);
      assert.ok(client.errors[0] instanceof HandshakeError);
      assert.equal((client.errors[0] as HandshakeError).status, 403);
    } finally {
      refusing.close();
    }
  });

  describe("against a hand-written server", () => {
    let raw: net.Server;
    let rawUrl: string;
    let connection: Promise<net.Socket>;

    beforeEach(async () => {
      connection = new Promise((resolve) => {
        raw = net.createServer((socket) => {
          socket.once("data", (request) => {
            const key = /Sec-WebSocket-Key: (\S+)/i.exec(request.toString())?.[1] ?? "";
            const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
            socket.write(
              `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
            );
            resolve(socket);
          });
        });
        raw.listen(0, "127.0.0.1");
      });
      await once(raw, "listening");
      rawUrl = `ws://127.0.0.1:${(raw.address() as AddressInfo).port}/`;
    });

    afterEach(() => raw.close());

    it("parses frames that share a chunk and frames split across chunks", async () => {
      const client = open(rawUrl);
      await client.opened;
      const server = await connection;
      const frame = (bytes: number[]) => Buffer.from([0x82, bytes.length, ...bytes]);
      server.write(Buffer.concat([frame([1]), frame([2, 2]), frame([3, 3, 3])]));
      await client.nextMessages(3);
      const split = Buffer.concat([Buffer.from([0x82, 126, 0, 200]), Buffer.alloc(200, 4)]);
      server.write(split.subarray(0, 1));
      await new Promise((resolve) => setTimeout(resolve, 20));
      server.write(split.subarray(1, 3));
      await new Promise((resolve) => setTimeout(resolve, 20));
      server.write(split.subarray(3));
      await client.nextMessages(4);
      assert.deepEqual(
        client.messages.map((m) => m.byteLength),
        [1, 2, 3, 200],
      );
      assert.deepEqual(client.messages[3], Buffer.alloc(200, 4));
      server.destroy();
      assert.equal(await client.closed, ABNORMAL);
    });

    it("drops a server that sends a masked frame, with an error, instead of reading on", async () => {
      const client = open(rawUrl);
      await client.opened;
      const server = await connection;
      server.write(Buffer.from([0x82, 0x81, 0, 0, 0, 0, 7, 0x82, 1, 8]));
      assert.equal(await client.closed, ABNORMAL);
      assert.deepEqual(client.messages, []);
      assert.match(client.errors[0]?.message ?? "", /protocol error/);
    });
  });
});
