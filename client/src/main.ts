/**
 * The browser client: log in (guest or account), pick a game, its mode and a region, search with live status, play,
 * see the result; lobby chat, match chat, leaderboards. Each game's view lives in games/<id>/ and is chosen by the
 * name of the room the seat leads into (games/index.ts). It reaches the server through the public contract only: HTTP, the
 * Colyseus SDK and the protocol module (src/protocol.ts). `window.__arena` exposes what it shows, for tests and
 * debugging.
 */
import { Client, type Room } from "@colyseus/sdk";
import { CloseCode, RoomName, ServerMessage } from "../../src/protocol.ts";
import { Api, ApiError, type GameInfo, type Player } from "./api.ts";
import type { ChatLine, GameClient, GameDebug, GameView, MatchResultRow } from "./games/GameView.ts";
import { GAME_CLIENTS } from "./games/index.ts";
import { FALLBACK_GAMES, modeLabel, playableGames, ratingLine } from "./lobby.ts";

type Screen = "login" | "lobby" | "search" | "match" | "end" | "leaderboard";

interface SearchStatus {
  waitedMs: number;
  ratingWindow: number;
  queued: number;
}

/** What the page shows, for tests and for the console. */
interface ArenaDebug {
  screen: Screen;
  player: Player | null;
  search: SearchStatus | null;
  /** The games the lobby offers; `gamesFromServer` is false when the server has no `GET /games` (arena only). */
  games: GameInfo[];
  gamesFromServer: boolean;
  /** The game and mode chosen in the lobby, and the own rating line shown for that game. */
  game: string;
  mode: string;
  rating: string;
  /** The running match's view (its `game` says which; the rest is the game's own debug object). */
  match: GameDebug | null;
  matchChat: ChatLine[];
  lobbyChat: ChatLine[];
  /** Whether the lobby chat room is joined (it rejoins by itself after a server restart). */
  lobbyChatConnected: boolean;
  results: MatchResultRow[] | null;
  notice: string;
}

const $ = <T extends HTMLElement = HTMLElement>(selector: string): T => {
  const element = document.querySelector<T>(selector);
  if (element === null) throw new Error(`missing ${selector}`);
  return element;
};

const api = new Api();
const sdk = new Client(location.origin);
api.onToken = (token) => {
  sdk.auth.token = token ?? "";
};

const debug: ArenaDebug = {
  screen: "login",
  player: null,
  search: null,
  games: [...FALLBACK_GAMES],
  gamesFromServer: false,
  game: "",
  mode: "",
  rating: "",
  match: null,
  matchChat: [],
  lobbyChat: [],
  lobbyChatConnected: false,
  results: null,
  notice: "",
};
(window as unknown as { __arena: ArenaDebug }).__arena = debug;

let player: Player | undefined;
let searchRoom: Room | undefined;
let lobbyRoom: Room | undefined;
let match: GameView | undefined;
/** The game of the running (or last) match: its end screen and chat channels. */
let matchGame: GameClient | undefined;
let screenBeforeLeaderboard: Screen = "login";

function show(screen: Screen): void {
  for (const section of document.querySelectorAll<HTMLElement>(".screen")) {
    section.hidden = section.id !== `screen-${screen}`;
  }
  debug.screen = screen;
  $("#nav-lobby").hidden = player === undefined || screen === "match" || screen === "search" || screen === "lobby";
  $("#nav-logout").hidden = player === undefined || screen === "match";
  $("#nav-leaderboard").hidden = screen === "match";
}

function notify(text: string): void {
  debug.notice = text;
  $("#notice").textContent = text;
}

function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

function showPlayer(me: Player): void {
  player = me;
  debug.player = me;
  $("#whoami").textContent = `${me.username}${me.guest ? " (guest)" : ""} · rating ${Math.round(me.rating)}`;
  // A guest is offered to keep its progress as an account (POST /auth/link).
  $("#link-form").hidden = !me.guest;
  showGameRating();
}

async function signedIn(me: Player): Promise<void> {
  showPlayer(me);
  const games = loadGames();
  const region = $<HTMLInputElement>("#region");
  if (region.value === "") region.value = me.region;
  $("#regions").innerHTML = `<option value="${me.region}"></option>`;
  void joinLobbyChat();
  if (me.currentSessionId !== null) {
    notify("rejoining your match…");
    if (await rejoin(me.currentSessionId)) {
      notify("");
      return;
    }
    if (debug.notice === "rejoining your match…") notify("");
  }
  // The lobby opens with the server's games in the picker, so a search never goes out with the fallback's.
  await games;
  show("lobby");
}

async function refreshPlayer(): Promise<void> {
  const me = await api.me().catch(() => undefined);
  if (me !== undefined) showPlayer(me);
}

// ---- login ----

$("#guest").addEventListener("click", () => {
  notify("");
  api.guest().then(signedIn, (error) => notify(`guest login failed: ${errorText(error)}`));
});
$("#account-form").addEventListener("submit", (event) => {
  event.preventDefault();
  notify("");
  const username = $<HTMLInputElement>("#username").value;
  const password = $<HTMLInputElement>("#password").value;
  api.login(username, password).then(signedIn, (error) => notify(`login failed: ${errorText(error)}`));
});
$("#register").addEventListener("click", () => {
  notify("");
  const username = $<HTMLInputElement>("#username").value;
  const password = $<HTMLInputElement>("#password").value;
  api.register(username, password).then(signedIn, (error) => notify(`registration failed: ${errorText(error)}`));
});
$("#link-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const error = $("#link-error");
  const submit = $<HTMLButtonElement>("#link-submit");
  const username = $<HTMLInputElement>("#link-username").value.trim();
  const password = $<HTMLInputElement>("#link-password").value;
  error.textContent = "";
  submit.disabled = true;
  api
    .link(username, password)
    .then(
      (me) => {
        $<HTMLInputElement>("#link-password").value = "";
        showPlayer(me);
        notify(`account created: log in as ${me.username} from now on`);
      },
      (failure) => {
        // 400 (weak password, bad or reserved name) and 409 (name taken) say what to change, next to the form.
        error.textContent = errorText(failure);
      },
    )
    .finally(() => {
      submit.disabled = false;
    });
});
$("#nav-logout").addEventListener("click", () => {
  void (async () => {
    await leaveSearch();
    const chat = lobbyRoom;
    lobbyRoom = undefined;
    clearTimeout(lobbyRetry);
    lobbyRetry = undefined;
    await chat?.leave().catch(() => undefined);
    await api.logout();
    player = undefined;
    debug.lobbyChatConnected = false;
    debug.player = null;
    $("#whoami").textContent = "";
    $("#link-error").textContent = "";
    $<HTMLInputElement>("#link-username").value = "";
    $<HTMLInputElement>("#link-password").value = "";
    show("login");
  })();
});

// ---- lobby chat ----

function appendChat(list: HTMLElement, line: ChatLine): void {
  const item = document.createElement("li");
  const channel = line.channel === "team" ? "[team] " : "";
  item.textContent = `${channel}${line.username}: ${line.text}`;
  if (line.from === player?.id) item.className = "me";
  list.append(item);
  while (list.children.length > 100) list.firstElementChild?.remove();
  list.scrollTop = list.scrollHeight;
}

let lobbyJoining = false;
let lobbyRetry: ReturnType<typeof setTimeout> | undefined;
let lobbyAttempt = 0;

/** Joins the lobby chat; while it cannot (a restarting server, a lost network) it tries again with backoff. */
async function joinLobbyChat(): Promise<void> {
  if (lobbyRoom !== undefined || lobbyJoining || player === undefined) return;
  const log = $("#lobby-chat .chat-log");
  let room: Room;
  lobbyJoining = true;
  try {
    room = await sdk.joinOrCreate(RoomName.Chat, { channel: "global" });
  } catch (error) {
    debug.lobbyChatConnected = false;
    if (lobbyAttempt === 0) notify(`lobby chat unavailable: ${errorText(error)}`);
    if (!refusedForGood(error)) retryLobbyChat();
    return;
  } finally {
    lobbyJoining = false;
  }
  if (player === undefined) {
    // Logged out while joining.
    void room.leave().catch(() => undefined);
    return;
  }
  lobbyRoom = room;
  lobbyAttempt = 0;
  debug.lobbyChatConnected = true;
  if (debug.notice.startsWith("lobby chat")) notify("");
  log.replaceChildren();
  debug.lobbyChat = [];
  lobbyRoom.onMessage(ServerMessage.History, (history: { messages: ChatLine[] }) => {
    for (const line of history.messages) {
      debug.lobbyChat.push(line);
      appendChat(log, line);
    }
  });
  lobbyRoom.onMessage(ServerMessage.Message, (line: ChatLine) => {
    debug.lobbyChat.push(line);
    appendChat(log, line);
  });
  lobbyRoom.onMessage(ServerMessage.Error, (error: { message: string }) => notify(`chat: ${error.message}`));
  lobbyRoom.onLeave((code) => {
    if (lobbyRoom !== room) return;
    lobbyRoom = undefined;
    debug.lobbyChatConnected = false;
    // A close we asked for, or a logout or ban, is final; anything else (a restart, a deploy) is not.
    if (!FINAL_CLOSES.has(code)) retryLobbyChat();
  });
}

const FINAL_CLOSES: ReadonlySet<number> = new Set([CloseCode.NormalLeave, CloseCode.TokenRevoked, CloseCode.Banned]);

/** An answer that retrying cannot change: not logged in (401) or not allowed (403). */
function refusedForGood(error: unknown): boolean {
  const status = (error as { code?: unknown; status?: unknown }).code ?? (error as { status?: unknown }).status;
  return status === 401 || status === 403;
}

function retryLobbyChat(): void {
  if (player === undefined || lobbyRetry !== undefined) return;
  const delay = backoffMs(lobbyAttempt);
  lobbyAttempt += 1;
  lobbyRetry = setTimeout(() => {
    lobbyRetry = undefined;
    void joinLobbyChat();
  }, delay);
}

/** Waits before retry `attempt` (0-based): 0.5 s, doubling, at most 5 s, with a little jitter. */
function backoffMs(attempt: number): number {
  return Math.min(5_000, 500 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
}

$("#lobby-chat .chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("#lobby-chat input");
  if (input.value.trim() === "" || lobbyRoom === undefined) return;
  lobbyRoom.send("message", { text: input.value });
  input.value = "";
});

// ---- the game picker ----

/**
 * Fills the picker from `GET /games`, keeping only the games this client can show. A server without the route
 * (before games were plug-ins) or one that cannot be reached leaves the arena's modes, searched as before.
 */
async function loadGames(): Promise<void> {
  const listed = await api.games().catch(() => undefined);
  const games = listed === undefined ? [] : playableGames(listed, new Set(GAME_CLIENTS.keys()));
  debug.gamesFromServer = games.length > 0;
  debug.games = games.length > 0 ? games : [...FALLBACK_GAMES];
  fillGames();
}

function fillGames(): void {
  const select = $<HTMLSelectElement>("#game");
  const chosen = select.value;
  select.replaceChildren(
    ...debug.games.map((game) => {
      const option = document.createElement("option");
      option.value = game.id;
      option.textContent = game.title;
      return option;
    }),
  );
  if (debug.games.some((game) => game.id === chosen)) select.value = chosen;
  fillModes();
}

function fillModes(): void {
  const game = debug.games.find((candidate) => candidate.id === $<HTMLSelectElement>("#game").value);
  const select = $<HTMLSelectElement>("#mode");
  const chosen = select.value;
  select.replaceChildren(
    ...(game?.modes ?? []).map((mode) => {
      const option = document.createElement("option");
      option.value = mode.id;
      option.textContent = modeLabel(mode);
      return option;
    }),
  );
  if (game?.modes.some((mode) => mode.id === chosen)) select.value = chosen;
  debug.game = game?.id ?? "";
  debug.mode = select.value;
  showGameRating();
}

/** The own rating in the chosen game (and mode, where it is rated on its own), under the picker. */
function showGameRating(): void {
  const game = $<HTMLSelectElement>("#game").value;
  const mode = $<HTMLSelectElement>("#mode").value;
  debug.rating = player === undefined || game === "" ? "" : ratingLine(player, game, mode, debug.games[0]?.id ?? "");
  $("#game-rating").textContent = debug.rating;
}

$("#game").addEventListener("change", fillModes);
$("#mode").addEventListener("change", () => {
  debug.mode = $<HTMLSelectElement>("#mode").value;
  showGameRating();
});

// ---- matchmaking ----

$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  void search();
});

async function search(): Promise<void> {
  notify("");
  const game = $<HTMLSelectElement>("#game").value;
  const mode = $<HTMLSelectElement>("#mode").value;
  const region = $<HTMLInputElement>("#region").value.trim();
  // `game` only where the server lists games: an older one knows the arena alone and takes no such option.
  const options = { ...(debug.gamesFromServer ? { game } : {}), mode, ...(region === "" ? {} : { region }) };
  debug.search = null;
  $("#search-status").textContent = "joining the queue…";
  show("search");
  let room: Room;
  try {
    room = await sdk.joinOrCreate(RoomName.Matchmaking, options);
  } catch (error) {
    notify(`could not search: ${errorText(error)}`);
    show("lobby");
    return;
  }
  searchRoom = room;
  room.onMessage(ServerMessage.Status, (status: SearchStatus) => {
    debug.search = status;
    $("#search-status").textContent =
      `waited ${Math.round(status.waitedMs / 1000)} s · rating window ±${Math.round(status.ratingWindow)} · ` +
      `${status.queued} searching`;
  });
  room.onMessage(ServerMessage.Seat, (seat: unknown) => {
    searchRoom = undefined;
    void room.leave().catch(() => undefined);
    void enterMatch(() => sdk.consumeSeatReservation(seat as never));
  });
  room.onMessage(ServerMessage.Error, (error: { message: string }) => notify(error.message));
  room.onLeave((code) => {
    if (searchRoom !== room) return;
    searchRoom = undefined;
    if (code !== CloseCode.NormalLeave) notify(`the search stopped (${code})`);
    show("lobby");
  });
}

async function leaveSearch(): Promise<void> {
  const room = searchRoom;
  searchRoom = undefined;
  await room?.leave().catch(() => undefined);
}

$("#cancel").addEventListener("click", () => {
  void leaveSearch().then(() => show("lobby"));
});

// ---- the match ----

async function enterMatch(connect: () => Promise<Room>): Promise<boolean> {
  let room: Room;
  try {
    room = await connect();
  } catch (error) {
    notify(`could not join the match: ${errorText(error)}`);
    show("lobby");
    return false;
  }
  // The seat leads into the room named after its game.
  const game = GAME_CLIENTS.get(room.name);
  if (game === undefined) {
    notify(`this client cannot show the game "${room.name}"`);
    void room.leave(true).catch(() => undefined);
    show("lobby");
    return false;
  }
  match?.stop();
  debug.matchChat = [];
  debug.results = null;
  $("#match-chat .chat-log").replaceChildren();
  const channels = $<HTMLSelectElement>("#match-chat .chat-channel");
  channels.replaceChildren(
    ...game.chatChannels.map((channel) => {
      const option = document.createElement("option");
      option.value = channel;
      option.textContent = channel;
      return option;
    }),
  );
  channels.hidden = game.chatChannels.length < 2;
  for (const view of document.querySelectorAll<HTMLElement>(".game-view")) view.hidden = view.id !== `view-${game.id}`;
  // Shown before mounting, so the view can take the keyboard focus.
  show("match");
  matchGame = game;
  const view = game.mount(
    $(`#view-${game.id}`),
    room,
    {
      chat: (line) => {
        debug.matchChat.push(line);
        appendChat($("#match-chat .chat-log"), line);
      },
      ended: (results) => {
        debug.results = results;
        showResults(results);
      },
      closed: (code, reason) => void matchClosed(room.roomId, code, reason),
      connection: (state) => notify(state === "ok" ? "" : "connection lost: reconnecting…"),
    },
    player?.id ?? "",
  );
  match = view;
  debug.match = view.debug;
  return true;
}

/**
 * How long the client keeps trying to get back into its match while the server answers 503 or cannot be reached:
 * well past the recovery window (a dead process' match runs again within about 5 s; a restarted server, as
 * `npm run dev` does on every save or a deploy, needs its start-up time on top).
 */
const REJOIN_PATIENCE_MS = 60_000;

/**
 * Continues a live match after a reload, a server hand-off or a server restart: a fresh seat from
 * POST /sessions/:id/rejoin, consumed. While the answer is 503 (the match is being recovered) or the server cannot
 * be reached (restarting), it tries again with backoff for REJOIN_PATIENCE_MS; any other answer (409 ended, 403,
 * 401) is final.
 */
async function rejoin(sessionId: string): Promise<boolean> {
  const deadline = Date.now() + REJOIN_PATIENCE_MS;
  for (let attempt = 0; ; attempt++) {
    let room: Room;
    try {
      const seat = await api.rejoin(sessionId);
      room = await sdk.consumeSeatReservation(seat as never);
    } catch (error) {
      if (error instanceof ApiError && error.status !== 503) return false;
      if (Date.now() >= deadline) {
        notify(`could not get back into the match: ${errorText(error)}`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
      continue;
    }
    return enterMatch(() => Promise.resolve(room));
  }
}

/**
 * Closes after which the match may well go on without us: the process went away (4001, 4010), or the connection
 * was lost and the SDK could not take it back (1006 — it does not try in a room's first 5 s — or 4003 when its
 * attempts ran out). A fresh seat from POST /sessions/:id/rejoin puts the player back; 409 means it has ended.
 */
const REJOIN_AFTER: ReadonlySet<number> = new Set([CloseCode.ServerShutdown, CloseCode.MayTryReconnect, 1006, 4003]);

async function matchClosed(sessionId: string, code: number, reason: string | undefined): Promise<void> {
  match = undefined;
  // The result is on screen (or the player went on to the leaderboards): the match is over, whatever closed it.
  if (debug.results !== null) return;
  if (REJOIN_AFTER.has(code)) {
    notify(code === 1006 || code === 4003 ? "connection lost: rejoining…" : "the server moved the match: rejoining…");
    if (await rejoin(sessionId)) {
      notify("");
      return;
    }
  }
  if (code === CloseCode.MatchCancelled) notify("too few players arrived: the match was cancelled, search again");
  else if (code !== CloseCode.NormalLeave) notify(`left the match (${code}${reason ? `: ${reason}` : ""})`);
  show("lobby");
}

$("#match-chat .chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("#match-chat input");
  const channel = $<HTMLSelectElement>("#match-chat .chat-channel").value;
  if (input.value.trim() !== "") match?.say(channel, input.value);
  input.value = "";
  input.blur();
  // Back to the game's keys (the arena's canvas takes the focus; other views listen on the window).
  if (matchGame !== undefined) document.querySelector<HTMLElement>(`#view-${matchGame.id} [tabindex]`)?.focus();
});

window.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && debug.screen === "match" && document.activeElement?.tagName !== "INPUT") {
    event.preventDefault();
    $<HTMLInputElement>("#match-chat input").focus();
  }
});

/** The end screen, in the columns and words of the match's game. */
function showResults(results: MatchResultRow[]): void {
  const table = matchGame?.results;
  if (table === undefined) return;
  const headings = document.createElement("tr");
  headings.append(
    ...table.headings.map((text) => {
      const th = document.createElement("th");
      th.textContent = text;
      return th;
    }),
  );
  $("#end-results thead").replaceChildren(headings);
  const body = $("#end-results tbody");
  body.replaceChildren();
  const sorted = [...results].sort((a, b) => a.placement - b.placement);
  for (const row of sorted) {
    const tr = document.createElement("tr");
    for (const text of table.cells(row)) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    if (row.playerId === player?.id) tr.className = "me";
    body.append(tr);
  }
  const mine = results.find((row) => row.playerId === player?.id);
  $("#end-summary").textContent = mine === undefined ? "" : table.summary(mine, results);
  const picture = match?.finalPicture?.();
  $("#end-picture").replaceChildren(...(picture === undefined ? [] : [picture]));
  show("end");
  void refreshPlayer();
}

$("#end-back").addEventListener("click", () => {
  void match?.leave();
  match = undefined;
  show("lobby");
  // The lobby's rating line: the result may have been stored after the end screen's first look.
  void refreshPlayer();
});

// ---- leaderboards ----

$("#nav-leaderboard").addEventListener("click", () => {
  if (debug.screen !== "leaderboard") screenBeforeLeaderboard = debug.screen;
  show("leaderboard");
  void loadBoards();
});
$("#nav-lobby").addEventListener("click", () => show(player === undefined ? "login" : "lobby"));
$("#board").addEventListener("change", () => void loadBoard($<HTMLSelectElement>("#board").value));

async function loadBoards(): Promise<void> {
  try {
    const boards = await api.boards();
    const select = $<HTMLSelectElement>("#board");
    const current = select.value;
    select.replaceChildren(
      ...boards.map((board) => {
        const option = document.createElement("option");
        option.value = board.id;
        option.textContent = board.title;
        return option;
      }),
    );
    if (current !== "") select.value = current;
    await loadBoard(select.value || "rating");
  } catch (error) {
    notify(`leaderboards unavailable: ${errorText(error)}`);
    show(screenBeforeLeaderboard);
  }
}

async function loadBoard(id: string): Promise<void> {
  const entries = await api.board(id);
  const body = $("#board-entries tbody");
  body.replaceChildren(
    ...entries.map((entry) => {
      const tr = document.createElement("tr");
      for (const text of [String(entry.rank), entry.username, String(Math.round(entry.score))]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.append(td);
      }
      if (entry.playerId === player?.id) tr.className = "me";
      return tr;
    }),
  );
}

// ---- start ----

fillGames();
show("login");
void api.resume().then((me) => (me === undefined ? undefined : signedIn(me)));
