/**
 * The matchmaking algorithm: a pure function over plain tickets and a clock value. No I/O, no randomness:
 * the same tickets at the same `now` always give the same matches.
 *
 * Per pool (one region × one mode):
 * 1. Every ticket has an acceptable rating window that starts at `baseWindow + deviationFactor × RD` and widens by
 *    `widenPerSec` for every second waited, up to `maxWindow`.
 * 2. Tickets are served oldest first (no starvation): for the oldest unmatched ticket, the candidate groups are the
 *    runs of `seats` consecutive unmatched tickets in rating order that contain it; a group is acceptable when its
 *    spread (max − min rating) is within the oldest ticket's window. Among acceptable groups the tightest spread
 *    wins.
 * 3. `squad` groups of four are split into the two teams of two with the smallest difference of rating sums.
 * 4. Tickets that have waited `botFillSec` (when > 0) and are still unmatched are grouped oldest first, up to the
 *    seat count, and the remaining seats are filled with bots.
 */
export type Mode = "duel" | "ffa" | "squad";

export interface Ticket {
  playerId: string;
  username: string;
  rating: number;
  ratingDeviation: number;
  region: string;
  mode: Mode;
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

export const SEATS: Record<Mode, number> = { duel: 2, ffa: 4, squad: 4 };

export interface FormedMatch {
  region: string;
  mode: Mode;
  /** Teams of tickets: duel and ffa have one ticket per team; squad two teams of two. */
  teams: Ticket[][];
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

/** The 2+2 split of four tickets with the smallest difference of team rating sums. */
export function balanceTeams(four: readonly Ticket[]): Ticket[][] {
  const [a, b, c, d] = four as [Ticket, Ticket, Ticket, Ticket];
  const splits: Ticket[][][] = [
    [
      [a, b],
      [c, d],
    ],
    [
      [a, c],
      [b, d],
    ],
    [
      [a, d],
      [b, c],
    ],
  ];
  const sum = (team: Ticket[]) => team.reduce((total, t) => total + t.rating, 0);
  let best = splits[0]!;
  let bestDiff = Number.POSITIVE_INFINITY;
  for (const split of splits) {
    const diff = Math.abs(sum(split[0]!) - sum(split[1]!));
    if (diff < bestDiff) {
      bestDiff = diff;
      best = split;
    }
  }
  return best;
}

function teamsOf(mode: Mode, group: Ticket[]): Ticket[][] {
  return mode === "squad" && group.length === 4 ? balanceTeams(group) : group.map((ticket) => [ticket]);
}

/** Matches one pool (all tickets share region and mode). Returns the matches; their tickets are consumed. */
export function matchPool(
  tickets: readonly Ticket[],
  now: number,
  schedule: ExpansionSchedule,
  botFillSec: number,
): FormedMatch[] {
  if (tickets.length === 0) return [];
  const { region, mode } = tickets[0]!;
  const seats = SEATS[mode];
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
    const group = best.map((g) => sorted[g]!);
    matches.push({ region, mode, teams: teamsOf(mode, group), bots: 0, spread: bestSpread });
  }

  if (botFillSec > 0) {
    const waiting = sorted.filter((t, i) => !taken[i] && now - t.enqueuedAt >= botFillSec * 1000).sort(byAge);
    for (let start = 0; start < waiting.length; start += seats) {
      const group = waiting.slice(start, start + seats);
      const ratings = group.map((t) => t.rating);
      const humans = group.map((ticket) => [ticket]);
      matches.push({
        region,
        mode,
        teams: humans,
        bots: seats - group.length,
        spread: Math.max(...ratings) - Math.min(...ratings),
      });
    }
  }
  return matches;
}

/** Groups tickets into pools by region and mode, never mixing either. */
export function poolsOf(tickets: readonly Ticket[]): Map<string, Ticket[]> {
  const pools = new Map<string, Ticket[]>();
  for (const ticket of tickets) {
    const key = poolKey(ticket.region, ticket.mode);
    const pool = pools.get(key);
    if (pool === undefined) pools.set(key, [ticket]);
    else pool.push(ticket);
  }
  return pools;
}

export function poolKey(region: string, mode: Mode): string {
  return `${region}:${mode}`;
}
