/**
 * The arena view's edge geometry (client/src/games/arena/edge.ts): which players show on the canvas, where the
 * marker of one that does not goes (on the border, on the line from the centre toward it), and names kept inside.
 */
import assert from "node:assert/strict";
import { clampLabel, edgeMarker, onView, toScreen } from "../../client/src/games/arena/edge.ts";

const VIEW = { width: 960, height: 600 };

describe("arena view edge geometry", () => {
  it("puts the camera at the canvas' centre, at the zoom", () => {
    assert.deepEqual(toScreen({ x: 1000, y: 400 }, 0.6, VIEW, { x: 1000, y: 400 }), { x: 480, y: 300 });
    assert.deepEqual(toScreen({ x: 1000, y: 400 }, 0.6, VIEW, { x: 1400, y: 1100 }), { x: 720, y: 720 });
  });

  it("counts a disc as on the view while any of it is inside", () => {
    assert.equal(onView({ x: 480, y: 300 }, 12, VIEW), true);
    assert.equal(onView({ x: -11, y: 300 }, 12, VIEW), true);
    assert.equal(onView({ x: -13, y: 300 }, 12, VIEW), false);
    assert.equal(onView({ x: 480, y: 613 }, 12, VIEW), false);
    assert.equal(onView({ x: 971, y: 611 }, 12, VIEW), true);
  });

  it("puts a marker on the inset border, on the line from the centre toward the point", () => {
    const cases = [
      { point: { x: 720, y: 720 }, edge: "bottom" },
      { point: { x: 480, y: -500 }, edge: "top" },
      { point: { x: 3000, y: 310 }, edge: "right" },
      { point: { x: -200, y: 250 }, edge: "left" },
      { point: { x: -1000, y: -1000 }, edge: "top" },
    ];
    for (const { point, edge } of cases) {
      const marker = edgeMarker(point, VIEW, 10);
      const toward = Math.atan2(point.y - 300, point.x - 480);
      assert.ok(Math.abs(marker.angle - toward) < 1e-9);
      assert.ok(Math.abs(Math.atan2(marker.y - 300, marker.x - 480) - toward) < 1e-9, JSON.stringify(marker));
      const distances = { left: marker.x, right: 960 - marker.x, top: marker.y, bottom: 600 - marker.y };
      assert.ok(Math.abs(distances[edge as keyof typeof distances] - 10) < 1e-9, `${edge}: ${JSON.stringify(marker)}`);
      for (const distance of Object.values(distances)) assert.ok(distance >= 10 - 1e-9);
    }
    // Straight along an axis, and exactly at the centre (no direction: the centre).
    assert.deepEqual(edgeMarker({ x: 480, y: 5000 }, VIEW, 10), { x: 480, y: 590, angle: Math.PI / 2 });
    assert.deepEqual(edgeMarker({ x: 480, y: 300 }, VIEW, 10), { x: 480, y: 300, angle: 0 });
  });

  it("keeps a name inside the view, and leaves one that fits where it is", () => {
    assert.deepEqual(clampLabel(480, 200, 100, 13, VIEW, 3), { x: 480, y: 200 });
    // Cut off on the left and above: moved right and down until all of it is 3 px inside.
    assert.deepEqual(clampLabel(10, 2, 100, 13, VIEW, 3), { x: 53, y: 16 });
    assert.deepEqual(clampLabel(950, 700, 100, 13, VIEW, 3), { x: 907, y: 597 });
    // Wider than the view: centred.
    assert.equal(clampLabel(10, 200, 2000, 13, VIEW, 3).x, 480);
  });
});
