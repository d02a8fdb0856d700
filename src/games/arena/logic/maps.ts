import type { MapDef } from "./types.ts";

/** The default arena: 2400 × 1800 u, a mix of walls, pillars and cover, eight spawns around the edge. */
export const ARENA_MAP: MapDef = {
  id: "crossroads",
  width: 2400,
  height: 1800,
  obstacles: [
    { kind: "rect", x: 1050, y: 750, w: 300, h: 300 },
    { kind: "rect", x: 400, y: 300, w: 400, h: 60 },
    { kind: "rect", x: 1600, y: 1440, w: 400, h: 60 },
    { kind: "rect", x: 300, y: 1000, w: 60, h: 450 },
    { kind: "rect", x: 2040, y: 350, w: 60, h: 450 },
    { kind: "circle", x: 700, y: 900, r: 70 },
    { kind: "circle", x: 1700, y: 900, r: 70 },
    { kind: "circle", x: 1200, y: 350, r: 90 },
    { kind: "circle", x: 1200, y: 1450, r: 90 },
  ],
  spawns: [
    { x: 120, y: 120 },
    { x: 2280, y: 1680 },
    { x: 2280, y: 120 },
    { x: 120, y: 1680 },
    { x: 1200, y: 100 },
    { x: 1200, y: 1700 },
    { x: 100, y: 600 },
    { x: 2300, y: 1200 },
  ],
};
