import { Router } from "express";
import { GuestBody, LinkBody, LoginBody, RefreshBody, RegisterBody } from "../protocol.ts";
import type { AuthResult, AuthService } from "../services/auth/AuthService.ts";
import { principalOf, requireAuth } from "./authMiddleware.ts";
import { clientIp } from "./clientAddress.ts";
import { parse } from "./validate.ts";
import type { PlayerViews } from "./views.ts";

async function authJson(result: AuthResult, views: PlayerViews) {
  return {
    player: await views.player(result.player),
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    expiresIn: result.expiresIn,
  };
}

/** POST /auth/register, /login, /guest, /refresh, /logout, /link. */
export function authRoutes(auth: AuthService, views: PlayerViews): Router {
  const router = Router();

  router.post("/register", async (req, res) => {
    const body = parse(RegisterBody, req.body);
    res.status(201).json(await authJson(await auth.register(body, clientIp(req)), views));
  });

  router.post("/login", async (req, res) => {
    const body = parse(LoginBody, req.body);
    res.json(await authJson(await auth.login(body, clientIp(req)), views));
  });

  router.post("/guest", async (req, res) => {
    const body = parse(GuestBody, req.body);
    res.json(await authJson(await auth.guest(body, clientIp(req)), views));
  });

  router.post("/refresh", async (req, res) => {
    const body = parse(RefreshBody, req.body);
    res.json(await auth.refresh(body.refreshToken, clientIp(req)));
  });

  router.post("/logout", requireAuth(auth), async (req, res) => {
    const body = parse(RefreshBody, req.body);
    await auth.logout(principalOf(res), body.refreshToken);
    res.status(204).end();
  });

  router.post("/link", requireAuth(auth), async (req, res) => {
    const body = parse(LinkBody, req.body);
    res.json(await views.player(await auth.link(principalOf(res), body)));
  });

  return router;
}
