/**
 * Who is asking: the one rule behind every per-IP limit (login, registration, guests, room requests). A client is
 * known by the socket's peer address. Only when that peer is one of TRUSTED_PROXIES is its X-Forwarded-For
 * believed, and then the client is the right-most hop that is not itself a trusted proxy: each proxy appends the
 * address it saw, so everything left of the last untrusted hop was written by the client and proves nothing.
 * X-Real-IP and X-Client-IP are never read (a client can send them through any proxy that does not overwrite them).
 * An IPv6 client is known by its /64: the rest of its address is its own to choose.
 */
import net from "node:net";
import type { Request } from "express";

/** The addresses and CIDR blocks of TRUSTED_PROXIES (validated by the configuration). */
export class TrustedProxies {
  private readonly list = new net.BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [address = "", prefix] = entry.split("/");
      const family = net.isIP(address) === 6 ? "ipv6" : "ipv4";
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
  }

  /** Whether `address` (IPv4, IPv6 or IPv4-mapped IPv6) is a trusted proxy. */
  contains(address: string): boolean {
    if (this.empty) return false;
    const plain = plainAddress(address);
    const family = net.isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 6 ? "ipv6" : "ipv4");
  }
}

/** `::ffff:10.1.2.3` (an IPv4 client of a dual-stack socket) → `10.1.2.3`; anything else unchanged. */
export function plainAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/**
 * An IPv6 address as its /64 (`2001:db8:1:2::/64`); anything else unchanged. One subscriber gets at least a /64
 * and picks the rest of its address freely, so a limit keyed on the whole address would be a limit per request.
 */
export function subscriberNetwork(address: string): string {
  const plain = address.split("%")[0] ?? address; // a zone index (fe80::1%eth0) names no host
  if (net.isIP(plain) !== 6) return address;
  const [left = "", right] = plain.split("::");
  const head = left === "" ? [] : left.split(":");
  const tail = right === undefined || right === "" ? [] : right.split(":");
  // A dotted IPv4 tail (::ffff:1.2.3.4 is handled by plainAddress) fills two groups.
  const tailGroups = tail.length + (tail.at(-1)?.includes(".") ? 1 : 0);
  const groups = right === undefined ? head : [...head, ...Array(8 - head.length - tailGroups).fill("0"), ...tail];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

/**
 * The client address of a request that arrived from `peer` (the socket's remote address) carrying
 * `forwardedFor` (the X-Forwarded-For header or headers, as node hands them over). An IPv6 client is its /64
 * ({@link subscriberNetwork}).
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string {
  return subscriberNetwork(believedAddress(peer, forwardedFor, trusted));
}

function believedAddress(
  peer: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string {
  let client = peer === undefined || peer === "" ? "unknown" : plainAddress(peer);
  if (!trusted.contains(client) || forwardedFor === undefined) return client;
  const hops = (typeof forwardedFor === "string" ? [forwardedFor] : forwardedFor)
    .flatMap((header) => header.split(","))
    .map((hop) => hop.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? "";
    if (net.isIP(plainAddress(hop)) === 0) return client; // garbage in the chain: stop at the last believed hop
    client = plainAddress(hop);
    if (!trusted.contains(client)) return client;
  }
  return client;
}

/** The client address of an express request (set from {@link clientAddress} by installHttp), for per-IP limits. */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}
