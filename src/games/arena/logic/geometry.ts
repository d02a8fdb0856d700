/** Collision geometry on plain numbers. */
import type { MapDef, Obstacle } from "./types.ts";

/**
 * Pushes a circle out of an obstacle. Returns the corrected centre and the contact normal, or undefined when they
 * do not overlap.
 */
export function resolveCircle(
  x: number,
  y: number,
  r: number,
  obstacle: Obstacle,
): { x: number; y: number; nx: number; ny: number } | undefined {
  if (obstacle.kind === "circle") {
    const dx = x - obstacle.x;
    const dy = y - obstacle.y;
    const minDist = r + obstacle.r;
    const distSq = dx * dx + dy * dy;
    if (distSq >= minDist * minDist) return undefined;
    const dist = Math.sqrt(distSq);
    const nx = dist > 1e-9 ? dx / dist : 1;
    const ny = dist > 1e-9 ? dy / dist : 0;
    return { x: obstacle.x + nx * minDist, y: obstacle.y + ny * minDist, nx, ny };
  }
  const cx = Math.max(obstacle.x, Math.min(x, obstacle.x + obstacle.w));
  const cy = Math.max(obstacle.y, Math.min(y, obstacle.y + obstacle.h));
  const dx = x - cx;
  const dy = y - cy;
  const distSq = dx * dx + dy * dy;
  if (distSq >= r * r) return undefined;
  if (distSq > 1e-12) {
    const dist = Math.sqrt(distSq);
    const nx = dx / dist;
    const ny = dy / dist;
    return { x: cx + nx * r, y: cy + ny * r, nx, ny };
  }
  // The centre is inside the rectangle: leave through the nearest side.
  const left = x - obstacle.x;
  const right = obstacle.x + obstacle.w - x;
  const top = y - obstacle.y;
  const bottom = obstacle.y + obstacle.h - y;
  const least = Math.min(left, right, top, bottom);
  if (least === left) return { x: obstacle.x - r, y, nx: -1, ny: 0 };
  if (least === right) return { x: obstacle.x + obstacle.w + r, y, nx: 1, ny: 0 };
  if (least === top) return { x, y: obstacle.y - r, nx: 0, ny: -1 };
  return { x, y: obstacle.y + obstacle.h + r, nx: 0, ny: 1 };
}

/**
 * The first fraction t ∈ [0, 1] at which the segment (x0,y0)→(x1,y1), thickened by `r`, touches the obstacle, or
 * undefined. Rectangles are expanded by r (slab test, a close conservative bound for small r).
 */
export function segmentHitsObstacle(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  r: number,
  obstacle: Obstacle,
): number | undefined {
  if (obstacle.kind === "circle") return segmentHitsCircle(x0, y0, x1, y1, obstacle.x, obstacle.y, obstacle.r + r);
  const minX = obstacle.x - r;
  const maxX = obstacle.x + obstacle.w + r;
  const minY = obstacle.y - r;
  const maxY = obstacle.y + obstacle.h + r;
  const dx = x1 - x0;
  const dy = y1 - y0;
  let tMin = 0;
  let tMax = 1;
  for (const [p, d, lo, hi] of [
    [x0, dx, minX, maxX],
    [y0, dy, minY, maxY],
  ] as const) {
    if (Math.abs(d) < 1e-12) {
      if (p < lo || p > hi) return undefined;
      continue;
    }
    let t1 = (lo - p) / d;
    let t2 = (hi - p) / d;
    if (t1 > t2) [t1, t2] = [t2, t1];
    tMin = Math.max(tMin, t1);
    tMax = Math.min(tMax, t2);
    if (tMin > tMax) return undefined;
  }
  return tMin;
}

/** First t ∈ [0, 1] at which the segment comes within `radius` of (cx, cy), or undefined. */
export function segmentHitsCircle(
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  cx: number,
  cy: number,
  radius: number,
): number | undefined {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const fx = x0 - cx;
  const fy = y0 - cy;
  const c = fx * fx + fy * fy - radius * radius;
  if (c <= 0) return 0;
  const a = dx * dx + dy * dy;
  if (a < 1e-12) return undefined;
  const b = 2 * (fx * dx + fy * dy);
  const disc = b * b - 4 * a * c;
  if (disc < 0) return undefined;
  const t = (-b - Math.sqrt(disc)) / (2 * a);
  return t >= 0 && t <= 1 ? t : undefined;
}

/** True when nothing on the map blocks the straight line between two points. */
export function hasLineOfSight(map: MapDef, x0: number, y0: number, x1: number, y1: number): boolean {
  for (const obstacle of map.obstacles) {
    if (segmentHitsObstacle(x0, y0, x1, y1, 0, obstacle) !== undefined) return false;
  }
  return true;
}

/** True when a circle at (x, y) lies inside the bounds and touches no obstacle. */
export function isFree(map: MapDef, x: number, y: number, r: number): boolean {
  if (x < r || y < r || x > map.width - r || y > map.height - r) return false;
  return map.obstacles.every((obstacle) => resolveCircle(x, y, r, obstacle) === undefined);
}
