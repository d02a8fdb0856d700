/** A test-only room that throws on demand, in a message handler and in its tick, to prove containment. */
import type { Client } from "@colyseus/core";
import { z } from "zod";
import { BaseRoom } from "../../src/rooms/BaseRoom.ts";

export class FaultyRoom extends BaseRoom {
  override maxClients = 4;
  ticks = 0;
  private throwOnNextTick = false;

  override onCreate(): void {
    this.messageLimits = { maxPerSecond: 20, maxStrikes: 3 };
    this.setSimulationInterval(() => {
      this.ticks += 1;
      if (this.throwOnNextTick) {
        this.throwOnNextTick = false;
        throw new Error("tick failure (test)");
      }
    }, 20);
    this.handle("echo", z.object({ text: z.string().max(10) }), (client, message) => {
      client.send("echo", { text: message.text, ticks: this.ticks });
    });
    this.handle("boom", z.object({}), () => {
      throw new Error("handler failure (test)");
    });
    this.handle("boomAsync", z.object({}), async () => {
      await Promise.resolve();
      throw new Error("async handler failure (test)");
    });
    this.handle("tickBoom", z.object({}), () => {
      this.throwOnNextTick = true;
    });
  }

  override onLeave(client: Client): void {
    this.forgetClient(client);
  }
}
