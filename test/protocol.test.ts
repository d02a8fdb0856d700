/** The shared schemas' rules that are policy, not shape: reserved usernames and what chat text may be. */
import assert from "node:assert/strict";
import { ChatText, Username } from "../src/protocol.ts";

describe("protocol schemas", () => {
  it("refuse reserved usernames in any case, and every guest_ name", () => {
    for (const name of [
      "admin",
      "Admin",
      "SYSTEM",
      "moderator",
      "Moderator",
      "root",
      "ROOT",
      "guest_abc",
      "Guest_X1",
    ]) {
      const result = Username.safeParse(name);
      assert.equal(result.success, false, `${name} is reserved`);
      assert.match(result.error?.issues[0]?.message ?? "", /reserved/);
    }
    for (const name of ["admiral", "rooted", "system_2", "guestly", "alice"]) {
      assert.equal(Username.safeParse(name).success, true, `${name} is allowed`);
    }
  });

  it("chat refuses text made only of invisible or formatting characters", () => {
    for (const text of [
      "\u200b\u200b",
      "\u202e\u202d",
      "\ufe0f\ufe0f\ufe0f",
      "\u{e0041}\u{e0042}",
      "\u2060\u2061\u2062",
      "\u00ad\u00ad",
      "\u3164\u3164",
      "\u180e",
      "\u061c",
      "\u2800",
      "\u3000\u2003\u00a0",
      " \ufeff ",
      "\u{e0100}",
      "\u0300\u0301\u0302",
      " \u20dd\u0489 ",
      "\u2028\u2029",
    ]) {
      const result = ChatText.safeParse(text);
      assert.equal(result.success, false, `${JSON.stringify(text)} has nothing visible`);
    }
  });

  it("chat strips bidi controls from the rest and keeps what is visible", () => {
    assert.equal(ChatText.parse("hi \u202eevil\u202c there"), "hi evil there");
    assert.equal(ChatText.parse("\u2067abc\u2069\u200e\u200f\u061c"), "abc");
    assert.equal(ChatText.parse("gg 👍🏽"), "gg 👍🏽");
    assert.equal(ChatText.parse("❤️"), "❤️", "an emoji with its variation selector is visible");
    assert.equal(ChatText.parse("שלום world"), "שלום world");
    // Line and paragraph separators break the line like a newline (stripped as a C0 control): a second line could
    // pass for another player's message or the server's.
    assert.equal(ChatText.parse("gg\u2028[server] you are banned\u2029"), "gg[server] you are banned");
    assert.equal(ChatText.parse("1\ufe0f\u20e3 café"), "1\ufe0f\u20e3 café", "marks on a visible character stay");
  });
});
