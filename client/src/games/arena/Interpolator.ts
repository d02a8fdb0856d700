/**
 * Entity interpolation for everybody but the own player: each patch's positions are recorded with their arrival
 * time and entities are drawn `delayMs` in the past (100 ms: two patches at 20 Hz, the delay the server's lag
 * compensation assumes), between the two samples around that moment.
 */

interface Sample {
  t: number;
  x: number;
  y: number;
  angle: number;
}

const KEEP_MS = 1000;

export class Interpolator {
  private readonly samples = new Map<string, Sample[]>();

  constructor(readonly delayMs = 100) {}

  /** Records where `id` is according to the patch that arrived at `t` (ms, performance.now()). */
  record(id: string, t: number, x: number, y: number, angle: number): void {
    let list = this.samples.get(id);
    if (list === undefined) {
      list = [];
      this.samples.set(id, list);
    }
    const last = list[list.length - 1];
    if (last !== undefined && last.t === t) list.pop();
    list.push({ t, x, y, angle });
    while (list.length > 2 && list[0]!.t < t - KEEP_MS) list.shift();
  }

  /** Drops entities that are no longer in the state (left the view, died out). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.samples.keys()) if (!ids.has(id)) this.samples.delete(id);
  }

  /** Where to draw `id` at time `now`: `delayMs` in the past, clamped to the oldest and newest samples. */
  at(id: string, now: number): Sample | undefined {
    const list = this.samples.get(id);
    if (list === undefined || list.length === 0) return undefined;
    const t = now - this.delayMs;
    if (t <= list[0]!.t) return list[0];
    for (let i = list.length - 1; i > 0; i--) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (t >= a.t) {
        if (t >= b.t) return b;
        const k = (t - a.t) / (b.t - a.t);
        return { t, x: a.x + (b.x - a.x) * k, y: a.y + (b.y - a.y) * k, angle: lerpAngle(a.angle, b.angle, k) };
      }
    }
    return list[list.length - 1];
  }

  ids(): IterableIterator<string> {
    return this.samples.keys();
  }
}

function lerpAngle(a: number, b: number, k: number): number {
  let d = b - a;
  while (d > Math.PI) d -= 2 * Math.PI;
  while (d < -Math.PI) d += 2 * Math.PI;
  return a + d * k;
}
