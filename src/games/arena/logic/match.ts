/**
 * Match phases and results, as pure functions of simulated time. waiting → countdown → active → ended.
 */
export type Phase = "waiting" | "countdown" | "active" | "ended";

export interface PhaseTiming {
  /** Longest wait for the reserved players before the match starts anyway (missing seats filled with bots). */
  waitTimeoutMs: number;
  countdownMs: number;
  durationMs: number;
}

export interface MatchClock {
  phase: Phase;
  /** Simulated time at which the current phase began. */
  phaseStartedMs: number;
}

export type PhaseChange = {
  from: Phase;
  to: Phase;
  reason: "all-joined" | "wait-timeout" | "countdown-over" | "time-up";
};

/** The phase after `nowMs`, given whether every reserved seat is taken. Returns the change, if any. */
export function advancePhase(
  clock: MatchClock,
  nowMs: number,
  allJoined: boolean,
  timing: PhaseTiming,
): PhaseChange | undefined {
  const elapsed = nowMs - clock.phaseStartedMs;
  let change: PhaseChange | undefined;
  if (clock.phase === "waiting" && (allJoined || elapsed >= timing.waitTimeoutMs)) {
    change = { from: "waiting", to: "countdown", reason: allJoined ? "all-joined" : "wait-timeout" };
  } else if (clock.phase === "countdown" && elapsed >= timing.countdownMs) {
    change = { from: "countdown", to: "active", reason: "countdown-over" };
  } else if (clock.phase === "active" && elapsed >= timing.durationMs) {
    change = { from: "active", to: "ended", reason: "time-up" };
  }
  if (change !== undefined) {
    clock.phase = change.to;
    clock.phaseStartedMs = nowMs;
  }
  return change;
}

/** Milliseconds left in the current phase (0 when waiting or ended). */
export function timeLeftMs(clock: MatchClock, nowMs: number, timing: PhaseTiming): number {
  const elapsed = nowMs - clock.phaseStartedMs;
  if (clock.phase === "countdown") return Math.max(0, timing.countdownMs - elapsed);
  if (clock.phase === "active") return Math.max(0, timing.durationMs - elapsed);
  return 0;
}

export interface Standing {
  id: string;
  team: number;
  kills: number;
  deaths: number;
}

/**
 * Placements, 1 = best. Free-for-all (every player its own team): by kills, then fewer deaths; equal records share a
 * placement. Teams: by the team's total kills, then fewer total deaths; every member gets its team's placement.
 */
export function placements(standings: readonly Standing[], teamsMode: boolean): Map<string, number> {
  const groups = new Map<number | string, { kills: number; deaths: number; members: string[] }>();
  for (const s of standings) {
    const key = teamsMode ? s.team : s.id;
    const group = groups.get(key) ?? { kills: 0, deaths: 0, members: [] };
    group.kills += s.kills;
    group.deaths += s.deaths;
    group.members.push(s.id);
    groups.set(key, group);
  }
  const ordered = [...groups.values()].sort((a, b) => b.kills - a.kills || a.deaths - b.deaths);
  const result = new Map<string, number>();
  let placement = 0;
  let previous: { kills: number; deaths: number } | undefined;
  ordered.forEach((group, index) => {
    if (previous === undefined || group.kills !== previous.kills || group.deaths !== previous.deaths)
      placement = index + 1;
    previous = group;
    for (const member of group.members) result.set(member, placement);
  });
  return result;
}

/** Team layout of each mode: number of seats and the team of each seat index. */
export const MODES = {
  duel: { seats: 2, teamOf: (seat: number) => seat, teams: false, friendlyFire: true },
  ffa: { seats: 4, teamOf: (seat: number) => seat, teams: false, friendlyFire: true },
  squad: { seats: 4, teamOf: (seat: number) => seat % 2, teams: true, friendlyFire: false },
} as const;
export type Mode = keyof typeof MODES;
