/**
 * Where the arena view puts what does not fit on it, without the DOM: an opponent outside the visible area (the
 * server sends every player within its view radius, which reaches past the canvas' edges) becomes a marker on the
 * view's edge, on the line from the centre (the own player) toward it; a name near the edge is moved inside the
 * view instead of being cut off. All positions are canvas pixels. Tested in test/client/arenaEdge.test.ts.
 */

export interface ViewSize {
  width: number;
  height: number;
}

/** A point on the canvas. */
export interface ScreenPoint {
  x: number;
  y: number;
}

/** Where a world position is drawn: the camera (world) at the canvas' centre, `zoom` pixels per world unit. */
export function toScreen(camera: ScreenPoint, zoom: number, view: ViewSize, world: ScreenPoint): ScreenPoint {
  return { x: view.width / 2 + (world.x - camera.x) * zoom, y: view.height / 2 + (world.y - camera.y) * zoom };
}

/** Whether a disc of `radius` pixels at `point` shows on the view at all (any part of it inside). */
export function onView(point: ScreenPoint, radius: number, view: ViewSize): boolean {
  return (
    point.x + radius >= 0 && point.x - radius <= view.width && point.y + radius >= 0 && point.y - radius <= view.height
  );
}

/**
 * The marker for something drawn off the view at `point`: where the line from the view's centre to it crosses the
 * view's border moved `inset` pixels inward, and the direction (radians, canvas y downward) from the centre toward it.
 */
export function edgeMarker(point: ScreenPoint, view: ViewSize, inset: number): ScreenPoint & { angle: number } {
  const cx = view.width / 2;
  const cy = view.height / 2;
  const dx = point.x - cx;
  const dy = point.y - cy;
  const angle = Math.atan2(dy, dx);
  const halfW = Math.max(0, cx - inset);
  const halfH = Math.max(0, cy - inset);
  // The largest scale at which (dx, dy) still fits the inset rectangle.
  const sx = dx === 0 ? Number.POSITIVE_INFINITY : halfW / Math.abs(dx);
  const sy = dy === 0 ? Number.POSITIVE_INFINITY : halfH / Math.abs(dy);
  const scale = Math.min(sx, sy);
  if (!Number.isFinite(scale)) return { x: cx, y: cy, angle };
  return { x: cx + dx * scale, y: cy + dy * scale, angle };
}

/**
 * Where to draw a text `width` pixels wide and `height` high, centred on `x` with its baseline at `y`, so all of it
 * stays `pad` pixels inside the view. Returns the (possibly moved) centre and baseline.
 */
export function clampLabel(
  x: number,
  y: number,
  width: number,
  height: number,
  view: ViewSize,
  pad: number,
): ScreenPoint {
  const minX = pad + width / 2;
  const maxX = view.width - pad - width / 2;
  const minY = pad + height;
  const maxY = view.height - pad;
  return {
    x: minX > maxX ? view.width / 2 : Math.min(maxX, Math.max(minX, x)),
    y: minY > maxY ? view.height / 2 : Math.min(maxY, Math.max(minY, y)),
  };
}
