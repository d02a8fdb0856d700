/**
 * Interest management: which players and projectiles each client sees. A uniform grid with cells as wide as the
 * view radius is rebuilt every few ticks; a client's candidates are the 3×3 cells around it, so the cost is
 * proportional to players × local density, not players². Its own player and teammates are always visible.
 */
export interface Positioned {
  key: string;
  x: number;
  y: number;
}

export class SpatialGrid {
  private readonly cells = new Map<number, Positioned[]>();

  constructor(private readonly cellSize: number) {}

  private cellKey(cx: number, cy: number): number {
    return cx * 65536 + cy;
  }

  rebuild(items: Iterable<Positioned>): void {
    this.cells.clear();
    for (const item of items) {
      const key = this.cellKey(Math.floor(item.x / this.cellSize), Math.floor(item.y / this.cellSize));
      const cell = this.cells.get(key);
      if (cell === undefined) this.cells.set(key, [item]);
      else cell.push(item);
    }
  }

  /** Items within `radius` (≤ cell size) of (x, y). */
  near(x: number, y: number, radius: number, out: Set<string>): Set<string> {
    const cx = Math.floor(x / this.cellSize);
    const cy = Math.floor(y / this.cellSize);
    const radiusSq = radius * radius;
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        const cell = this.cells.get(this.cellKey(cx + dx, cy + dy));
        if (cell === undefined) continue;
        for (const item of cell) {
          const ex = item.x - x;
          const ey = item.y - y;
          if (ex * ex + ey * ey <= radiusSq) out.add(item.key);
        }
      }
    }
    return out;
  }
}
