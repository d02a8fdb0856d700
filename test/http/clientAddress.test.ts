/** The client-address rule, as a pure function: peer address; X-Forwarded-For only from TRUSTED_PROXIES. */
import assert from "node:assert/strict";
import { clientAddress, TrustedProxies } from "../../src/http/clientAddress.ts";

describe("clientAddress: the one rule for every per-IP limit", () => {
  const none = new TrustedProxies([]);
  const nginx = new TrustedProxies(["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]);

  it("without trusted proxies, the peer address whatever the headers say", () => {
    assert.equal(clientAddress("203.0.113.9", "1.2.3.4", none), "203.0.113.9");
    assert.equal(clientAddress("::ffff:127.0.0.1", "1.2.3.4", none), "127.0.0.1");
    assert.equal(clientAddress(undefined, undefined, none), "unknown");
  });

  it("from a trusted proxy, the right-most hop that is not a trusted proxy", () => {
    assert.equal(clientAddress("127.0.0.1", "198.51.100.1", nginx), "198.51.100.1");
    // The client wrote the first hop; nginx appended the address it saw.
    assert.equal(clientAddress("127.0.0.1", "6.6.6.6, 198.51.100.1", nginx), "198.51.100.1");
    assert.equal(clientAddress("::1", ["6.6.6.6", "198.51.100.1, 10.1.2.3"], nginx), "198.51.100.1");
    assert.equal(clientAddress("fd00::5", "2001:db8::7", nginx), "2001:db8:0:0::/64");
    // Every hop trusted: the left-most one is the client (a request from inside).
    assert.equal(clientAddress("127.0.0.1", "10.0.0.2, 10.0.0.3", nginx), "10.0.0.2");
    // No header, or garbage at the end: the proxy itself.
    assert.equal(clientAddress("127.0.0.1", undefined, nginx), "127.0.0.1");
    assert.equal(clientAddress("127.0.0.1", "not-an-ip", nginx), "127.0.0.1");
  });

  it("an IPv6 client is known by its /64 (one subscriber's network), whatever the interface half says", () => {
    for (const address of ["2001:db8:1:2::7", "2001:0db8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::1.2.3.4"]) {
      assert.equal(clientAddress(address, undefined, none), "2001:db8:1:2::/64", address);
    }
    assert.equal(clientAddress("2001:db8::", undefined, none), "2001:db8:0:0::/64");
    assert.equal(clientAddress("fe80::1%eth0", undefined, none), "fe80:0:0:0::/64");
    assert.equal(clientAddress("127.0.0.1", "2001:db8:1:2::9", nginx), "2001:db8:1:2::/64");
    // Trust is still decided on the whole address.
    assert.equal(clientAddress("fd00::5", "fd00::6, 2001:db8:9::1", nginx), "2001:db8:9:0::/64");
  });

  it("an untrusted peer's forwarding header is ignored", () => {
    assert.equal(clientAddress("198.51.100.1", "10.0.0.2", nginx), "198.51.100.1");
  });
});
