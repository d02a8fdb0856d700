/**
 * Glicko-2 (Glickman, "Example of the Glicko-2 system", 2013). Pure: a rating period is one match; every player is
 * updated from the pre-match ratings of its opponents.
 */
export interface Rating {
  rating: number;
  deviation: number;
  volatility: number;
}

export interface Outcome {
  opponent: Rating;
  /** 1 win, 0.5 draw, 0 loss. */
  score: number;
}

/** Ratings of new players. */
export const DEFAULT_RATING: Rating = { rating: 1500, deviation: 350, volatility: 0.06 };
/** τ, the system constant constraining volatility change (Glickman suggests 0.3–1.2). */
export const DEFAULT_TAU = 0.5;
const SCALE = 173.7178;
const EPSILON = 0.000001;

function g(phi: number): number {
  return 1 / Math.sqrt(1 + (3 * phi * phi) / (Math.PI * Math.PI));
}

function expected(mu: number, muJ: number, phiJ: number): number {
  return 1 / (1 + Math.exp(-g(phiJ) * (mu - muJ)));
}

/** The player's rating after one rating period with these outcomes (no outcomes: only the deviation grows). */
export function updateRating(player: Rating, outcomes: readonly Outcome[], tau = DEFAULT_TAU): Rating {
  const mu = (player.rating - 1500) / SCALE;
  const phi = player.deviation / SCALE;
  const sigma = player.volatility;
  if (outcomes.length === 0) {
    return { ...player, deviation: Math.sqrt(phi * phi + sigma * sigma) * SCALE };
  }

  let vInverse = 0;
  let deltaSum = 0;
  for (const { opponent, score } of outcomes) {
    const muJ = (opponent.rating - 1500) / SCALE;
    const phiJ = opponent.deviation / SCALE;
    const gJ = g(phiJ);
    const e = expected(mu, muJ, phiJ);
    vInverse += gJ * gJ * e * (1 - e);
    deltaSum += gJ * (score - e);
  }
  const v = 1 / vInverse;
  const delta = v * deltaSum;

  // New volatility: root of f(x) by the Illinois algorithm (step 5 of the paper).
  const a = Math.log(sigma * sigma);
  const f = (x: number) => {
    const ex = Math.exp(x);
    const denominator = phi * phi + v + ex;
    return (ex * (delta * delta - phi * phi - v - ex)) / (2 * denominator * denominator) - (x - a) / (tau * tau);
  };
  let A = a;
  let B: number;
  if (delta * delta > phi * phi + v) {
    B = Math.log(delta * delta - phi * phi - v);
  } else {
    let k = 1;
    while (f(a - k * tau) < 0) k += 1;
    B = a - k * tau;
  }
  let fA = f(A);
  let fB = f(B);
  while (Math.abs(B - A) > EPSILON) {
    const C = A + ((A - B) * fA) / (fB - fA);
    const fC = f(C);
    if (fC * fB <= 0) {
      A = B;
      fA = fB;
    } else {
      fA /= 2;
    }
    B = C;
    fB = fC;
  }
  const newSigma = Math.exp(A / 2);

  const phiStar = Math.sqrt(phi * phi + newSigma * newSigma);
  const newPhi = 1 / Math.sqrt(1 / (phiStar * phiStar) + 1 / v);
  const newMu = mu + newPhi * newPhi * deltaSum;
  return { rating: newMu * SCALE + 1500, deviation: newPhi * SCALE, volatility: newSigma };
}

export interface Participant {
  id: string;
  team: number;
  /** 1 = best. */
  placement: number;
  rating: Rating;
}

/**
 * New ratings for everyone in a match. Each pair of players on different teams is a game, won by the better
 * placement (equal placements draw). In team modes a player's opponent in each game is the opposing team as one
 * composite player (mean rating, root-mean-square deviation and volatility), so a squad counts as team vs team.
 */
export function rateMatch(
  participants: readonly Participant[],
  teams: boolean,
  tau = DEFAULT_TAU,
): Map<string, Rating> {
  const byTeam = new Map<number, Participant[]>();
  for (const p of participants) byTeam.set(p.team, [...(byTeam.get(p.team) ?? []), p]);
  const composite = (members: Participant[]): Rating => ({
    rating: members.reduce((sum, m) => sum + m.rating.rating, 0) / members.length,
    deviation: Math.sqrt(members.reduce((sum, m) => sum + m.rating.deviation ** 2, 0) / members.length),
    volatility: Math.sqrt(members.reduce((sum, m) => sum + m.rating.volatility ** 2, 0) / members.length),
  });
  const score = (mine: number, theirs: number) => (mine < theirs ? 1 : mine > theirs ? 0 : 0.5);
  const result = new Map<string, Rating>();
  for (const player of participants) {
    const outcomes: Outcome[] = [];
    if (teams) {
      for (const [team, members] of byTeam) {
        if (team === player.team) continue;
        outcomes.push({ opponent: composite(members), score: score(player.placement, members[0]!.placement) });
      }
    } else {
      for (const other of participants) {
        if (other.id === player.id) continue;
        outcomes.push({ opponent: other.rating, score: score(player.placement, other.placement) });
      }
    }
    result.set(player.id, updateRating(player.rating, outcomes, tau));
  }
  return result;
}
