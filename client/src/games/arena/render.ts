/** Canvas 2D drawing of the arena: a camera centred on the own player, the map, players and projectiles. */
import { ARENA_MAP } from "../../../../src/games/arena/logic/maps.ts";
import { DEFAULT_TUNING } from "../../../../src/games/arena/logic/tuning.ts";

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

const TEAM_COLOURS = ["#ff5555", "#ff9e64", "#bd93f9", "#f1fa8c", "#ffb86b", "#a3be8c", "#ff79c6", "#6272a4"];

export function draw(ctx: CanvasRenderingContext2D, scene: Scene, ownTeam: number): void {
  const { width, height } = ctx.canvas;
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
  ctx.font = "20px system-ui, sans-serif";
  ctx.textAlign = "center";
  for (const p of scene.players) {
    ctx.globalAlpha = p.alive ? (p.connected ? 1 : 0.5) : 0.2;
    const colour = p.self ? "#8be9fd" : p.team === ownTeam ? "#50fa7b" : (TEAM_COLOURS[p.team % 8] ?? "#ff5555");
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = "#f8f8f2";
    ctx.lineWidth = 3;
    line(ctx, p.x, p.y, p.x + Math.cos(p.angle) * (r + 10), p.y + Math.sin(p.angle) * (r + 10));
    ctx.fillStyle = "#f8f8f2";
    ctx.fillText(p.username, p.x, p.y - r - 12);
    ctx.fillStyle = "#333";
    ctx.fillRect(p.x - r, p.y - r - 8, 2 * r, 4);
    ctx.fillStyle = "#50fa7b";
    ctx.fillRect(p.x - r, p.y - r - 8, (2 * r * p.hp) / DEFAULT_TUNING.maxHp, 4);
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
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.beginPath();
  ctx.moveTo(x0, y0);
  ctx.lineTo(x1, y1);
  ctx.stroke();
}
