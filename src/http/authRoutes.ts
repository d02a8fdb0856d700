import { Router } from "express";
import { GuestBody, LinkBody, LoginBody, RefreshBody, RegisterBody } from "../protocol.ts";
import type { AuthResult, AuthService } from "../services/auth/AuthService.ts";
import { AuthTokens, Player, SignedIn } from "./answerSchemas.ts";
import { principalOf, requireAuth } from "./authMiddleware.ts";
import { clientIp } from "./clientAddress.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";
import { parseBody } from "./validate.ts";
import type { PlayerViews } from "./views.ts";

const UNAVAILABLE = "PostgreSQL or Redis is not answering";

export const authApi = routeGroup("/auth", "auth", "Accounts and tokens (docs/AUTH.md).", {
  register: defineRoute({
    method: "post",
    path: "/register",
    summary: "Create an account",
    auth: "none",
    body: RegisterBody,
    answers: { 201: { description: "The new player, signed in.", schema: SignedIn } },
    errors: {
      400: "a field is malformed (`error.field`): username rules, a reserved username, password length or too common, unknown region",
      409: "the username is taken (in any case)",
      429: "too many registrations from this client address",
      503: UNAVAILABLE,
    },
  }),
  login: defineRoute({
    method: "post",
    path: "/login",
    summary: "Sign in with username and password",
    auth: "none",
    body: LoginBody,
    answers: { 200: { description: "The player, signed in.", schema: SignedIn } },
    errors: {
      401: "invalid username or password (the same for unknown users)",
      403: "the player is banned",
      429: "the account is locked for this client address, the address is throttled, or too many logins",
      503: UNAVAILABLE,
    },
  }),
  guest: defineRoute({
    method: "post",
    path: "/guest",
    summary: "Sign in as a guest",
    description: "The same `deviceId` gets the same guest player.",
    auth: "none",
    body: GuestBody,
    answers: { 200: { description: "The guest player, signed in.", schema: SignedIn } },
    errors: {
      403: "the player is banned",
      429: "too many new guests from this client address, or re-logins of this device",
      503: UNAVAILABLE,
    },
  }),
  refresh: defineRoute({
    method: "post",
    path: "/refresh",
    summary: "Trade a refresh token for a new pair",
    description: "The old refresh token is spent; presenting a spent one revokes the whole family.",
    auth: "none",
    body: RefreshBody,
    answers: { 200: { description: "A new pair of tokens.", schema: AuthTokens } },
    errors: {
      401: "the refresh token is unknown, expired, revoked or already spent",
      403: "the player is banned",
      429: "too many refreshes from this client address (the token is not spent)",
      503: UNAVAILABLE,
    },
  }),
  logout: defineRoute({
    method: "post",
    path: "/logout",
    summary: "Sign out",
    description: "Revokes the login of the refresh token and closes the player's live sockets (4103).",
    auth: "bearer",
    body: RefreshBody,
    answers: { 204: { description: "Signed out." } },
    errors: { 403: "the player is banned, or the refresh token is another player's", 503: UNAVAILABLE },
  }),
  link: defineRoute({
    method: "post",
    path: "/link",
    summary: "Give a guest account a username and password",
    description: "The guest keeps its id, rating and history.",
    auth: "bearer",
    body: LinkBody,
    answers: { 200: { description: "The player, no longer a guest.", schema: Player } },
    errors: {
      409: "the account already has a password, or the username is taken",
      503: UNAVAILABLE,
    },
  }),
});

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
  const { register, login, guest, refresh, logout, link } = authApi.routes;

  mount(router, register, async (req, res) => {
    const body = parseBody(register, req);
    res.status(201).json(await authJson(await auth.register(body, clientIp(req)), views));
  });

  mount(router, login, async (req, res) => {
    const body = parseBody(login, req);
    res.json(await authJson(await auth.login(body, clientIp(req)), views));
  });

  mount(router, guest, async (req, res) => {
    const body = parseBody(guest, req);
    res.json(await authJson(await auth.guest(body, clientIp(req)), views));
  });

  mount(router, refresh, async (req, res) => {
    const body = parseBody(refresh, req);
    res.json(await auth.refresh(body.refreshToken, clientIp(req)));
  });

  mount(router, logout, requireAuth(auth), async (req, res) => {
    const body = parseBody(logout, req);
    await auth.logout(principalOf(res), body.refreshToken);
    res.status(204).end();
  });

  mount(router, link, requireAuth(auth), async (req, res) => {
    const body = parseBody(link, req);
    res.json(await views.player(await auth.link(principalOf(res), body)));
  });

  return router;
}
