import assert from "node:assert/strict";
import { getMessageBytes, Protocol } from "@colyseus/core";
import { Packr } from "msgpackr";
import { Code, parseJoinRoom, parseRoomData, roomDataHeader } from "../../loadtest/lib/ColyseusWire.ts";
import { ClientMessage } from "../../src/protocol.ts";

describe("load-test wire framing", () => {
  it("frames an input as the SDK does: [ROOM_DATA][type][msgpack]", () => {
    const header = roomDataHeader(ClientMessage.Input);
    // 13, then the schema string encoding of "input": a fixstr prefix (0xa0 | 5) and the bytes.
    assert.deepEqual([...header], [13, 0xa5, ...Buffer.from("input")]);
    const input = { seq: 7, moveX: 0.5, moveY: -1, aim: 1.25, fire: true };
    // What a bot sends: the header, then the msgpack body, in one WebSocket message.
    const frame = Buffer.concat([header, new Packr({ useRecords: false }).pack(input)]);
    assert.deepEqual(parseRoomData(frame), { type: "input", payload: input });
  });

  it("parses the server's ROOM_DATA and JOIN_ROOM frames as Colyseus builds them", () => {
    const data = getMessageBytes.raw(Protocol.ROOM_DATA, "seat", { roomId: "r1", sessionId: "s1" });
    assert.deepEqual(parseRoomData(data), { type: "seat", payload: { roomId: "r1", sessionId: "s1" } });

    const reflection = new Uint8Array([1, 2, 3, 4, 5]);
    const join = getMessageBytes[Protocol.JOIN_ROOM]("token123", "schema", reflection);
    assert.equal(join[0], Code.JoinRoom);
    const parsed = parseJoinRoom(join);
    assert.equal(parsed.reconnectionToken, "token123");
    assert.equal(parsed.serializerId, "schema");
    assert.deepEqual([...parsed.reflection], [1, 2, 3, 4, 5]);

    const skipped = parseJoinRoom(getMessageBytes[Protocol.JOIN_ROOM]("t", "schema"));
    assert.equal(skipped.reflection.byteLength, 0);
  });
});
