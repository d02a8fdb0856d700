/**
 * Canvas 2D drawing of the arena: a camera centred on the own player, the map, players and projectiles; names in
 * screen space, kept inside the view; players the state has but the view cannot show, as markers on its edge.
 */
import { ARENA_MAP } from "../../../../src/games/arena/logic/maps.ts";
import { DEFAULT_TUNING } from "../../../../src/games/arena/logic/tuning.ts";
import { clampLabel, edgeMarker, onView, toScreen } from "./edge.ts";

export interface DrawnPlayer {
  id: string;
  username: string;
  x: number;
  y: number;
  angle: number;
  hp: number;
  team: number;
  alive: boolean;
  self: boolean;
  connected: boolean;
}

export interface Scene {
  camera: { x: number; y: number };
  players: DrawnPlayer[];
  projectiles: Array<{ x: number; y: number; own: boolean }>;
  banner: string | undefined;
}

/** Screen pixels per world unit. */
export const ZOOM = 0.6;

/** A name as drawn (canvas pixels: the text's centre and baseline); `clamped` when moved inside the view. */
export interface DrawnLabel {
  id: string;
  username: string;
  x: number;
  y: number;
  clamped: boolean;
}

/**
 * A player off the view, drawn as an arrow on its edge (canvas pixels: the arrow's tip `x`, `y`; `angle`, radians
 * with y downward, from the view's centre toward the player) with its name at `labelX`, `labelY`.
 */
export interface EdgeIndicator {
  id: string;
  username: string;
  x: number;
  y: number;
  angle: number;
  labelX: number;
  labelY: number;
}

/** What a frame drew that the canvas' pixels do not tell a test: where names and edge markers went. */
export interface Drawn {
  width: number;
  height: number;
  labels: DrawnLabel[];
  indicators: EdgeIndicator[];
}

/**
 * How far inside the border an edge marker's tip sits (pixels; enough for the arrow's sides in a corner), and the
 * margin names keep from the border.
 */
export const EDGE_INSET = 10;
const LABEL_PAD = 3;
const LABEL_FONT_PX = 13;
/** The arrow's length and half-width (pixels). */
const ARROW_LENGTH = 16;
const ARROW_HALF_WIDTH = 8;

const TEAM_COLOURS = ["#ff5555", "#ff9e64", "#bd93f9", "#f1fa8c", "#ffb86b", "#a3be8c", "#ff79c6", "#6272a4"];

export function draw(ctx: CanvasRenderingContext2D, scene: Scene, ownTeam: number): Drawn {
  const { width, height } = ctx.canvas;
  const drawn: Drawn = { width, height, labels: [], indicators: [] };
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#0d0f14";
  ctx.fillRect(0, 0, width, height);
  // Zoomed out so that most of the 900 u view radius fits: the opponents the server sends are on screen.
  const zoom = ZOOM;
  ctx.translate(width / 2, height / 2);
  ctx.scale(zoom, zoom);
  ctx.translate(-scene.camera.x, -scene.camera.y);

  ctx.fillStyle = "#161a22";
  ctx.fillRect(0, 0, ARENA_MAP.width, ARENA_MAP.height);
  ctx.strokeStyle = "#1f2430";
  ctx.lineWidth = 1;
  for (let x = 0; x <= ARENA_MAP.width; x += 100) line(ctx, x, 0, x, ARENA_MAP.height);
  for (let y = 0; y <= ARENA_MAP.height; y += 100) line(ctx, 0, y, ARENA_MAP.width, y);
  ctx.strokeStyle = "#44475a";
  ctx.lineWidth = 4;
  ctx.strokeRect(0, 0, ARENA_MAP.width, ARENA_MAP.height);

  ctx.fillStyle = "#3a3f4f";
  for (const o of ARENA_MAP.obstacles) {
    if (o.kind === "rect") ctx.fillRect(o.x, o.y, o.w, o.h);
    else {
      ctx.beginPath();
      ctx.arc(o.x, o.y, o.r, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  for (const p of scene.projectiles) {
    ctx.fillStyle = p.own ? "#f8f8f2" : "#ffb86b";
    ctx.beginPath();
    ctx.arc(p.x, p.y, DEFAULT_TUNING.projectileRadius + 1, 0, Math.PI * 2);
    ctx.fill();
  }

  const r = DEFAULT_TUNING.playerRadius;
  const colourOf = (p: DrawnPlayer): string =>
    p.self ? "#8be9fd" : p.team === ownTeam ? "#50fa7b" : (TEAM_COLOURS[p.team % 8] ?? "#ff5555");
  for (const p of scene.players) {
    ctx.globalAlpha = alphaOf(p);
    ctx.fillStyle = colourOf(p);
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = "#f8f8f2";
    ctx.lineWidth = 3;
    line(ctx, p.x, p.y, p.x + Math.cos(p.angle) * (r + 10), p.y + Math.sin(p.angle) * (r + 10));
    ctx.fillStyle = "#333";
    ctx.fillRect(p.x - r, p.y - r - 8, 2 * r, 4);
    ctx.fillStyle = "#50fa7b";
    ctx.fillRect(p.x - r, p.y - r - 8, (2 * r * p.hp) / DEFAULT_TUNING.maxHp, 4);
    ctx.globalAlpha = 1;
  }

  // Names and edge markers in screen pixels: a name stays inside the view, a player off it gets an arrow.
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.font = `${LABEL_FONT_PX}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  const view = { width, height };
  for (const p of scene.players) {
    const at = toScreen(scene.camera, zoom, view, p);
    const textWidth = ctx.measureText(p.username).width;
    ctx.globalAlpha = alphaOf(p);
    if (onView(at, r * zoom, view)) {
      const wanted = { x: at.x, y: at.y - (r + 12) * zoom };
      const label = clampLabel(wanted.x, wanted.y, textWidth, LABEL_FONT_PX, view, LABEL_PAD);
      ctx.fillStyle = "#f8f8f2";
      ctx.fillText(p.username, label.x, label.y);
      drawn.labels.push({
        id: p.id,
        username: p.username,
        x: label.x,
        y: label.y,
        clamped: label.x !== wanted.x || label.y !== wanted.y,
      });
    } else {
      const tip = edgeMarker(at, view, EDGE_INSET);
      drawArrow(ctx, tip.x, tip.y, tip.angle, colourOf(p));
      // The name sits behind the arrow, toward the centre, and inside the view.
      const back = ARROW_LENGTH + 6 + LABEL_FONT_PX / 2;
      const label = clampLabel(
        tip.x - Math.cos(tip.angle) * back,
        tip.y - Math.sin(tip.angle) * back + LABEL_FONT_PX / 2,
        textWidth,
        LABEL_FONT_PX,
        view,
        LABEL_PAD,
      );
      ctx.fillStyle = "#f8f8f2";
      ctx.fillText(p.username, label.x, label.y);
      drawn.indicators.push({
        id: p.id,
        username: p.username,
        x: tip.x,
        y: tip.y,
        angle: tip.angle,
        labelX: label.x,
        labelY: label.y,
      });
    }
    ctx.globalAlpha = 1;
  }

  if (scene.banner !== undefined) {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "rgba(0,0,0,0.5)";
    ctx.fillRect(0, height / 2 - 30, width, 60);
    ctx.fillStyle = "#f8f8f2";
    ctx.font = "28px system-ui, sans-serif";
    ctx.fillText(scene.banner, width / 2, height / 2 + 10);
  }
  return drawn;
}

function alphaOf(p: DrawnPlayer): number {
  return p.alive ? (p.connected ? 1 : 0.5) : 0.2;
}

/** A filled arrow whose tip is at (x, y), pointing along `angle`. */
function drawArrow(ctx: CanvasRenderingContext2D, x: number, y: number, angle: number, colour: string): void {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const baseX = x - cos * ARROW_LENGTH;
  const baseY = y - sin * ARROW_LENGTH;
  ctx.fillStyle = colour;
  ctx.strokeStyle = "#0d0f14";
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(baseX - sin * ARROW_HALF_WIDTH, baseY + cos * ARROW_HALF_WIDTH);
  ctx.lineTo(baseX + sin * ARROW_HALF_WIDTH, baseY - cos * ARROW_HALF_WIDTH);
  ctx.closePath();
  ctx.stroke();
  ctx.fill();
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}
