/**
 * Where ranks are served from: Redis sorted sets when REDIS_URL is set, an in-process order-statistic treap
 * otherwise. PostgreSQL holds the truth; an index is rebuilt from it at start-up and whenever Redis lost it.
 *
 * Order: by score (descending or ascending per board), ties broken by who reached the score first (`at`, epoch
 * ms). Ranks start at 1. An index key is a board *and* season, so a new season starts on an empty index.
 */
import type { Redis } from "ioredis";

export interface RankedEntry {
  playerId: string;
  score: number;
  rank: number;
}

export type SortOrder = "asc" | "desc";

export interface RankIndex {
  /** Inserts or moves a player. */
  set(key: string, order: SortOrder, playerId: string, score: number, at: number): Promise<void>;
  rank(key: string, playerId: string): Promise<RankedEntry | undefined>;
  /** Entries from 0-based `offset`, at most `limit`. */
  range(key: string, offset: number, limit: number): Promise<RankedEntry[]>;
  count(key: string): Promise<number>;
  /** Whether the index holds this key at all (Redis may have lost it). */
  has(key: string): Promise<boolean>;
  /** Replaces the key's content with these entries. */
  load(
    key: string,
    order: SortOrder,
    entries: ReadonlyArray<{ playerId: string; score: number; at: number }>,
  ): Promise<void>;
}

// ----- in-process: a treap with subtree sizes (O(log n) insert, delete, rank, select) -----

interface TreapNode {
  /** Sort key: primary (score, negated for desc), then at, then playerId. */
  primary: number;
  at: number;
  playerId: string;
  score: number;
  priority: number;
  size: number;
  left: TreapNode | undefined;
  right: TreapNode | undefined;
}

function compare(a: TreapNode, b: TreapNode): number {
  return a.primary - b.primary || a.at - b.at || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0);
}

const size = (node: TreapNode | undefined) => node?.size ?? 0;
function update(node: TreapNode): TreapNode {
  node.size = 1 + size(node.left) + size(node.right);
  return node;
}

/** Splits into (< pivot, ≥ pivot). */
function split(node: TreapNode | undefined, pivot: TreapNode): [TreapNode | undefined, TreapNode | undefined] {
  if (node === undefined) return [undefined, undefined];
  if (compare(node, pivot) < 0) {
    const [l, r] = split(node.right, pivot);
    node.right = l;
    return [update(node), r];
  }
  const [l, r] = split(node.left, pivot);
  node.left = r;
  return [l, update(node)];
}

function merge(a: TreapNode | undefined, b: TreapNode | undefined): TreapNode | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.priority > b.priority) {
    a.right = merge(a.right, b);
    return update(a);
  }
  b.left = merge(a, b.left);
  return update(b);
}

function insert(root: TreapNode | undefined, node: TreapNode): TreapNode | undefined {
  const [l, r] = split(root, node);
  return merge(merge(l, node), r);
}

function remove(root: TreapNode | undefined, node: TreapNode): TreapNode | undefined {
  if (root === undefined) return undefined;
  const c = compare(node, root);
  if (c === 0) return merge(root.left, root.right);
  if (c < 0) root.left = remove(root.left, node);
  else root.right = remove(root.right, node);
  return update(root);
}

/** Number of nodes ordered before `node`. */
function countBefore(root: TreapNode | undefined, node: TreapNode): number {
  let count = 0;
  let current = root;
  while (current !== undefined) {
    const c = compare(node, current);
    if (c <= 0) current = current.left;
    else {
      count += size(current.left) + 1;
      current = current.right;
    }
  }
  return count;
}

function nth(root: TreapNode | undefined, index: number): TreapNode | undefined {
  let current = root;
  let i = index;
  while (current !== undefined) {
    const leftSize = size(current.left);
    if (i < leftSize) current = current.left;
    else if (i === leftSize) return current;
    else {
      i -= leftSize + 1;
      current = current.right;
    }
  }
  return undefined;
}

class Treap {
  root: TreapNode | undefined;
  readonly byPlayer = new Map<string, TreapNode>();
  constructor(readonly order: SortOrder) {}
}

export class InMemoryRankIndex implements RankIndex {
  private readonly trees = new Map<string, Treap>();
  /** Deterministic priorities (xorshift), so the structure does not depend on Math.random. */
  private seed = 0x9e3779b9;

  private nextPriority(): number {
    this.seed ^= this.seed << 13;
    this.seed ^= this.seed >>> 17;
    this.seed ^= this.seed << 5;
    return this.seed >>> 0;
  }

  private tree(key: string, order: SortOrder): Treap {
    let tree = this.trees.get(key);
    if (tree === undefined) {
      tree = new Treap(order);
      this.trees.set(key, tree);
    }
    return tree;
  }

  async set(key: string, order: SortOrder, playerId: string, score: number, at: number): Promise<void> {
    const tree = this.tree(key, order);
    const old = tree.byPlayer.get(playerId);
    if (old !== undefined) tree.root = remove(tree.root, old);
    const node: TreapNode = {
      primary: order === "desc" ? -score : score,
      at,
      playerId,
      score,
      priority: this.nextPriority(),
      size: 1,
      left: undefined,
      right: undefined,
    };
    tree.root = insert(tree.root, node);
    tree.byPlayer.set(playerId, node);
  }

  async rank(key: string, playerId: string): Promise<RankedEntry | undefined> {
    const tree = this.trees.get(key);
    const node = tree?.byPlayer.get(playerId);
    if (tree === undefined || node === undefined) return undefined;
    return { playerId, score: node.score, rank: countBefore(tree.root, node) + 1 };
  }

  async range(key: string, offset: number, limit: number): Promise<RankedEntry[]> {
    const tree = this.trees.get(key);
    if (tree === undefined) return [];
    const entries: RankedEntry[] = [];
    for (let i = offset; i < offset + limit; i++) {
      const node = nth(tree.root, i);
      if (node === undefined) break;
      entries.push({ playerId: node.playerId, score: node.score, rank: i + 1 });
    }
    return entries;
  }

  async count(key: string): Promise<number> {
    return size(this.trees.get(key)?.root);
  }

  async has(key: string): Promise<boolean> {
    return this.trees.has(key);
  }

  async load(
    key: string,
    order: SortOrder,
    entries: ReadonlyArray<{ playerId: string; score: number; at: number }>,
  ): Promise<void> {
    this.trees.set(key, new Treap(order));
    for (const entry of entries) await this.set(key, order, entry.playerId, entry.score, entry.at);
  }
}

// ----- Redis: a sorted set per key; ties ordered by a member prefix encoding `at` -----

const AT_DIGITS = 15;
const AT_MAX = 10 ** AT_DIGITS - 1;

/**
 * Members are `<at>|<playerId>` with `at` zero-padded, so members of equal score sort by time. Descending boards
 * read with ZREVRANGE, which also reverses that tie order, so their members carry `AT_MAX − at` instead: earliest
 * first either way. `<key>:m` maps playerId → member for moves and lookups; `<key>:o` records the order.
 */
export class RedisRankIndex implements RankIndex {
  constructor(private readonly redis: Redis) {}

  private member(order: SortOrder, playerId: string, at: number): string {
    const stamp = order === "desc" ? AT_MAX - at : at;
    return `${String(stamp).padStart(AT_DIGITS, "0")}|${playerId}`;
  }

  private async order(key: string): Promise<SortOrder> {
    return (await this.redis.get(`${key}:o`)) === "asc" ? "asc" : "desc";
  }

  async set(key: string, order: SortOrder, playerId: string, score: number, at: number): Promise<void> {
    const member = this.member(order, playerId, at);
    const previous = await this.redis.hget(`${key}:m`, playerId);
    const tx = this.redis.multi();
    if (previous !== null && previous !== member) tx.zrem(`${key}:z`, previous);
    tx.zadd(`${key}:z`, score, member).hset(`${key}:m`, playerId, member).set(`${key}:o`, order);
    await tx.exec();
  }

  async rank(key: string, playerId: string): Promise<RankedEntry | undefined> {
    const member = await this.redis.hget(`${key}:m`, playerId);
    if (member === null) return undefined;
    const order = await this.order(key);
    const [index, score] = await Promise.all([
      order === "desc" ? this.redis.zrevrank(`${key}:z`, member) : this.redis.zrank(`${key}:z`, member),
      this.redis.zscore(`${key}:z`, member),
    ]);
    if (index === null || score === null) return undefined;
    return { playerId, score: Number(score), rank: index + 1 };
  }

  async range(key: string, offset: number, limit: number): Promise<RankedEntry[]> {
    if (limit <= 0) return [];
    const order = await this.order(key);
    const flat =
      order === "desc"
        ? await this.redis.zrevrange(`${key}:z`, offset, offset + limit - 1, "WITHSCORES")
        : await this.redis.zrange(`${key}:z`, offset, offset + limit - 1, "WITHSCORES");
    const entries: RankedEntry[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const member = flat[i]!;
      entries.push({
        playerId: member.slice(member.indexOf("|") + 1),
        score: Number(flat[i + 1]),
        rank: offset + i / 2 + 1,
      });
    }
    return entries;
  }

  count(key: string): Promise<number> {
    return this.redis.zcard(`${key}:z`);
  }

  async has(key: string): Promise<boolean> {
    return (await this.redis.exists(`${key}:o`)) === 1;
  }

  async load(
    key: string,
    order: SortOrder,
    entries: ReadonlyArray<{ playerId: string; score: number; at: number }>,
  ): Promise<void> {
    await this.redis.del(`${key}:z`, `${key}:m`);
    for (let start = 0; start < entries.length; start += 5000) {
      const tx = this.redis.pipeline();
      for (const entry of entries.slice(start, start + 5000)) {
        const member = this.member(order, entry.playerId, entry.at);
        tx.zadd(`${key}:z`, entry.score, member).hset(`${key}:m`, entry.playerId, member);
      }
      await tx.exec();
    }
    await this.redis.set(`${key}:o`, order);
  }
}
