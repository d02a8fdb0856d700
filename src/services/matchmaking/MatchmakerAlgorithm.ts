/**
 * The matchmaking algorithm: a pure function over plain tickets, the pool's mode and a clock value. No I/O, no
 * randomness: the same tickets at the same `now` always give the same matches. It knows no game: seats, teams,
 * team balancing and bot fill come from the {@link ModeDefinition} it is given.
 *
 * Per pool (one game × one region × one mode):
 * 1. Every ticket has an acceptable rating window that starts at `baseWindow + deviationFactor × RD` and widens by
 *    `widenPerSec` for every second waited, up to `maxWindow`.
 * 2. Tickets are served oldest first (no starvation): for the oldest unmatched ticket, the candidate groups are the
 *    runs of `players` consecutive unmatched tickets in rating order that contain it; a group is acceptable when its
 *    spread (max − min rating) is within the oldest ticket's window. Among acceptable groups the tightest spread
 *    wins.
 * 3. Seat i plays in team i % teams; a mode with `balanceTeams` instead splits its players into the teams with the
 *    smallest difference of team rating sums.
 * 4. In a mode with `botFill`, tickets that have waited `botFillSec` (when > 0) and are still unmatched are grouped
 *    oldest first, up to the seat count, and the remaining seats are filled with bots.
 */
import type { ModeDefinition } from "../games/GameDefinition.ts";

export interface Ticket {
  playerId: string;
  username: string;
  /** The player's rating for the game (and mode) searched: see GameDefinition's ratingKey. */
  rating: number;
  ratingDeviation: number;
  /** The game's id. */
  game: string;
  region: string;
  /** A mode of the game. */
  mode: string;
  /** Epoch ms. */
  enqueuedAt: number;
  /** The login the player searches with (see RosterEntry.familyId). */
  familyId?: string;
}

export interface ExpansionSchedule {
  /** Window at enqueue time for a fully certain rating (RD 0), rating points. */
  baseWindow: number;
  /** Added window per point of rating deviation. */
  deviationFactor: number;
  /** Added window per second waited. */
  widenPerSec: number;
  /** The window never grows past this. */
  maxWindow: number;
}

export const DEFAULT_SCHEDULE: ExpansionSchedule = {
  baseWindow: 50,
  deviationFactor: 0.25,
  widenPerSec: 25,
  maxWindow: 800,
};

/** One seat of a formed match and its team: a player's (its ticket), or a bot's (no ticket). */
export interface Seat {
  ticket?: Ticket;
  team: number;
}

export interface FormedMatch {
  game: string;
  region: string;
  mode: string;
  /** The players by team: `teams[k]` plays in team k, one entry per team of the mode (a team of bots is empty). */
  teams: Ticket[][];
  /** Every seat in order, players first, then bots: the match's roster. */
  seats: Seat[];
  /** Seats to fill with bots (bot-filled matches are unrated). */
  bots: number;
  /** max − min rating of the humans. */
  spread: number;
}

/** The acceptable rating window of `ticket` at `now`. */
export function ratingWindow(ticket: Ticket, now: number, schedule: ExpansionSchedule): number {
  const waitedSec = Math.max(0, (now - ticket.enqueuedAt) / 1000);
  return Math.min(
    schedule.maxWindow,
    schedule.baseWindow + schedule.deviationFactor * ticket.ratingDeviation + schedule.widenPerSec * waitedSec,
  );
}

function byAge(a: Ticket, b: Ticket): number {
  return a.enqueuedAt - b.enqueuedAt || (a.playerId < b.playerId ? -1 : a.playerId > b.playerId ? 1 : 0);
}

function byRating(a: Ticket, b: Ticket): number {
  return a.rating - b.rating || byAge(a, b);
}

/**
 * Above this many ways of splitting a match into teams, {@link balanceTeams} splits greedily instead of trying each
 * (a 6 v 6 has 462 ways, three teams of four 5,775, four teams of four 2.6 million).
 */
export const EXHAUSTIVE_SPLITS = 10_000;

/**
 * Splits `group` into `teams` teams of equal size with the smallest difference between the highest and the lowest
 * team rating sum. Every split is tried when there are at most {@link EXHAUSTIVE_SPLITS} (the first best split in
 * input order wins, so four tickets in rating order a ≤ b ≤ c ≤ d give a+d v b+c, or the earlier of equal splits);
 * past that, each player from the highest rating down joins the team with the lowest sum that has room.
 * Team members keep their order in `group`; the team of the first player is team 0.
 */
export function balanceTeams(group: readonly Ticket[], teams: number): Ticket[][] {
  const size = group.length / teams;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`${group.length} players cannot form ${teams} teams`);
  return splitCount(group.length, size) <= EXHAUSTIVE_SPLITS
    ? bestSplit(group, teams, size)
    : greedySplit(group, teams, size);
}

/** The number of ways to split `players` into teams of `size`, teams unordered. */
function splitCount(players: number, size: number): number {
  let count = 1;
  // The first unplaced player's team: choose its size − 1 teammates among the others; then the rest likewise.
  for (let remaining = players; remaining > 0; remaining -= size) {
    for (let k = 1; k < size; k++) count = (count * (remaining - k)) / k;
  }
  return count;
}

/** Every split once (a player joins a team that has room, or the first empty one), the smallest difference wins. */
function bestSplit(group: readonly Ticket[], teams: number, size: number): Ticket[][] {
  const members: Ticket[][] = Array.from({ length: teams }, () => []);
  const sums = new Array<number>(teams).fill(0);
  let best: Ticket[][] = [];
  let bestDiff = Number.POSITIVE_INFINITY;
  const place = (i: number): void => {
    if (bestDiff === 0) return;
    if (i === group.length) {
      const diff = Math.max(...sums) - Math.min(...sums);
      if (diff < bestDiff) {
        bestDiff = diff;
        best = members.map((team) => [...team]);
      }
      return;
    }
    const ticket = group[i]!;
    for (let k = 0; k < teams; k++) {
      const team = members[k]!;
      if (team.length === size) continue;
      team.push(ticket);
      sums[k]! += ticket.rating;
      place(i + 1);
      team.pop();
      sums[k]! -= ticket.rating;
      // The first empty team stands for every empty team: trying the others would repeat the same splits.
      if (team.length === 0) break;
    }
  };
  place(0);
  return best;
}

function greedySplit(group: readonly Ticket[], teams: number, size: number): Ticket[][] {
  const order = group.map((ticket, index) => ({ ticket, index }));
  order.sort((a, b) => b.ticket.rating - a.ticket.rating || a.index - b.index);
  const members: Array<Array<{ ticket: Ticket; index: number }>> = Array.from({ length: teams }, () => []);
  const sums = new Array<number>(teams).fill(0);
  for (const entry of order) {
    let lowest = -1;
    for (let k = 0; k < teams; k++) {
      if (members[k]!.length < size && (lowest < 0 || sums[k]! < sums[lowest]!)) lowest = k;
    }
    members[lowest]!.push(entry);
    sums[lowest]! += entry.ticket.rating;
  }
  return members
    .map((team) => team.sort((a, b) => a.index - b.index))
    .sort((a, b) => a[0]!.index - b[0]!.index)
    .map((team) => team.map((entry) => entry.ticket));
}

/**
 * The seats of a match of `group` (players in seat order) and `bots` bots: teams balanced when the mode asks for it
 * and no bot plays, else seat i in team i % teams, the bots after the players.
 */
function seatsOf(mode: ModeDefinition, group: readonly Ticket[], bots: number): Seat[] {
  if (bots === 0 && mode.balanceTeams === true) {
    return balanceTeams(group, mode.teams).flatMap((team, k) => team.map((ticket) => ({ ticket, team: k })));
  }
  const seats: Seat[] = group.map((ticket, i) => ({ ticket, team: i % mode.teams }));
  for (let i = group.length; i < group.length + bots; i++) seats.push({ team: i % mode.teams });
  return seats;
}

function formMatch(pool: Ticket, mode: ModeDefinition, group: readonly Ticket[], bots: number): FormedMatch {
  const seats = seatsOf(mode, group, bots);
  const teams: Ticket[][] = Array.from({ length: mode.teams }, () => []);
  for (const seat of seats) if (seat.ticket !== undefined) teams[seat.team]!.push(seat.ticket);
  const ratings = group.map((t) => t.rating);
  return {
    game: pool.game,
    region: pool.region,
    mode: mode.id,
    teams,
    seats,
    bots,
    spread: Math.max(...ratings) - Math.min(...ratings),
  };
}

/**
 * Matches one pool: all tickets share game, region and mode, and `mode` is that mode's definition. Returns the
 * matches; their tickets are consumed.
 */
export function matchPool(
  tickets: readonly Ticket[],
  mode: ModeDefinition,
  now: number,
  schedule: ExpansionSchedule,
  botFillSec: number,
): FormedMatch[] {
  if (tickets.length === 0) return [];
  const pool = tickets[0]!;
  const seats = mode.players;
  const sorted = [...tickets].sort(byRating);
  const windows = sorted.map((t) => ratingWindow(t, now, schedule));
  const position = new Map(sorted.map((t, i) => [t.playerId, i]));
  // A doubly linked list over the rating order: matched tickets are unlinked, so neighbours are found in O(1).
  const prev = sorted.map((_, i) => i - 1);
  const next = sorted.map((_, i) => (i + 1 < sorted.length ? i + 1 : -1));
  const taken = new Array<boolean>(sorted.length).fill(false);
  const unlink = (i: number) => {
    taken[i] = true;
    if (prev[i]! >= 0) next[prev[i]!] = next[i]!;
    if (next[i]! >= 0) prev[next[i]!] = prev[i]!;
  };

  const matches: FormedMatch[] = [];
  for (const oldest of [...tickets].sort(byAge)) {
    const i = position.get(oldest.playerId)!;
    if (taken[i]) continue;
    // Up to seats−1 unmatched neighbours on each side in rating order.
    const left: number[] = [];
    for (let j = prev[i]!; j >= 0 && left.length < seats - 1; j = prev[j]!) left.unshift(j);
    const right: number[] = [];
    for (let j = next[i]!; j >= 0 && right.length < seats - 1; j = next[j]!) right.push(j);
    const run = [...left, i, ...right];
    let best: number[] | undefined;
    let bestSpread = Number.POSITIVE_INFINITY;
    for (let start = 0; start + seats <= run.length; start++) {
      const group = run.slice(start, start + seats);
      if (!group.includes(i)) continue;
      const spread = sorted[group[seats - 1]!]!.rating - sorted[group[0]!]!.rating;
      // The anchor's window decides: it has waited longest, so its widened window is the widest, and a player far
      // from everyone is still matched once its own window reaches the others (no starvation).
      if (spread <= windows[i]! && spread < bestSpread) {
        best = group;
        bestSpread = spread;
      }
    }
    if (best === undefined) continue;
    for (const g of best) unlink(g);
    matches.push(
      formMatch(
        pool,
        mode,
        best.map((g) => sorted[g]!),
        0,
      ),
    );
  }

  if (botFillSec > 0 && mode.botFill === true) {
    const waiting = sorted.filter((t, i) => !taken[i] && now - t.enqueuedAt >= botFillSec * 1000).sort(byAge);
    for (let start = 0; start < waiting.length; start += seats) {
      const group = waiting.slice(start, start + seats);
      matches.push(formMatch(pool, mode, group, seats - group.length));
    }
  }
  return matches;
}

/** Groups tickets into pools by game, region and mode, never mixing any of them. */
export function poolsOf(tickets: readonly Ticket[]): Map<string, Ticket[]> {
  const pools = new Map<string, Ticket[]>();
  for (const ticket of tickets) {
    const key = poolKey(ticket.game, ticket.region, ticket.mode);
    const pool = pools.get(key);
    if (pool === undefined) pools.set(key, [ticket]);
    else pool.push(ticket);
  }
  return pools;
}

/** The pool of a game, region and mode: `<game>:<region>:<mode>` (none of the three may contain `:`). */
export function poolKey(game: string, region: string, mode: string): string {
  return `${game}:${region}:${mode}`;
}

/**
 * The game, region and mode of a pool key; undefined for anything else (a key of another layout, such as the
 * `<region>:<mode>` pools kept before games were plug-ins), which the matchmaker and the metrics then skip.
 */
export function parsePoolKey(key: string): { game: string; region: string; mode: string } | undefined {
  const parts = key.split(":");
  if (parts.length !== 3 || parts.some((part) => part === "")) return undefined;
  const [game, region, mode] = parts as [string, string, string];
  return { game, region, mode };
}
