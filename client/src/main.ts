/**
 * The browser client: log in (guest or account), pick a game, its mode and a region, search with live status, play,
 * see the result; lobby chat, match chat, leaderboards. Each game's view lives in games/<id>/ and is chosen by the
 * match's game (the name of the room the seat leads into; games/index.ts). It reaches the server through the
 * repository's SDK (@arena/sdk: tokens, HTTP, matchmaking, matches that rejoin by themselves, lobby chat), which is
 * built on the public contract. `window.__arena` exposes what it shows, for tests and debugging.
 */
import {
  ArenaClient,
  CloseCode,
  type GameInfo,
  LocalStorage,
  type LobbyChat,
  type Player,
  RoomClosedError,
  SearchCancelledError,
  type SearchHandle,
  type UntypedProtocol,
} from "@arena/sdk";
import type { ChatLine, GameClient, GameDebug, GameView, Match, MatchResultRow } from "./games/GameView.ts";
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

/** The player's client: the refresh token and the guest device id in localStorage (`arena.*`), so a reload keeps the login. */
const arena = new ArenaClient({ storage: new LocalStorage() });

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
let searching: SearchHandle<UntypedProtocol> | undefined;
let lobbyChat: LobbyChat | undefined;
/** The running (or last) match, and its view. */
let match: Match | undefined;
let view: GameView | undefined;
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
  joinLobbyChat();
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
  const me = await arena.me().catch(() => undefined);
  if (me !== undefined) showPlayer(me);
}

// ---- login ----

$("#guest").addEventListener("click", () => {
  notify("");
  arena.guest().then(signedIn, (error) => notify(`guest login failed: ${errorText(error)}`));
});
$("#account-form").addEventListener("submit", (event) => {
  event.preventDefault();
  notify("");
  const username = $<HTMLInputElement>("#username").value;
  const password = $<HTMLInputElement>("#password").value;
  arena.login(username, password).then(signedIn, (error) => notify(`login failed: ${errorText(error)}`));
});
$("#register").addEventListener("click", () => {
  notify("");
  const username = $<HTMLInputElement>("#username").value;
  const password = $<HTMLInputElement>("#password").value;
  arena.register(username, password).then(signedIn, (error) => notify(`registration failed: ${errorText(error)}`));
});
$("#link-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const error = $("#link-error");
  const submit = $<HTMLButtonElement>("#link-submit");
  const username = $<HTMLInputElement>("#link-username").value.trim();
  const password = $<HTMLInputElement>("#link-password").value;
  error.textContent = "";
  submit.disabled = true;
  arena
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
/** Forgets the signed-in player on the page: its search, its lobby chat, its name and the guest's account form. */
async function forgetPlayer(): Promise<void> {
  const search = searching;
  searching = undefined;
  await search?.cancel();
  const chat = lobbyChat;
  lobbyChat = undefined;
  player = undefined;
  debug.lobbyChatConnected = false;
  debug.player = null;
  $("#whoami").textContent = "";
  $("#link-error").textContent = "";
  $<HTMLInputElement>("#link-username").value = "";
  $<HTMLInputElement>("#link-password").value = "";
  await chat?.leave();
}

/** The lobby, or the login screen once signed out. */
function home(): void {
  show(player === undefined ? "login" : "lobby");
}

$("#nav-logout").addEventListener("click", () => {
  void (async () => {
    await forgetPlayer();
    await arena.logout();
    show("login");
  })();
});

// The server refused to renew the login (logged out in another tab, revoked, expired): back to the login screen,
// saying why. A running match goes on (its socket is already admitted); its end screen leads to the login.
arena.on("signedOut", ({ reason }) => {
  if (reason === "logout" || player === undefined) return;
  void forgetPlayer().then(() => {
    notify("you were signed out (the login ended elsewhere or expired): log in again");
    if (debug.screen !== "match" && debug.screen !== "end") show("login");
    else show(debug.screen);
  });
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

/**
 * Joins the `global` lobby chat (the SDK joins it again by itself after a close it did not ask for: a restart, a
 * lost network) and shows its history and lines. A logout leaves it.
 */
function joinLobbyChat(): void {
  if (lobbyChat !== undefined || player === undefined) return;
  const me = player;
  arena.joinChat("global").then(
    (chat) => {
      if (player !== me || lobbyChat !== undefined) {
        // Logged out (or in again) while joining.
        void chat.leave();
        return;
      }
      lobbyChat = chat;
      const log = $("#lobby-chat .chat-log");
      const connected = (): void => {
        debug.lobbyChatConnected = true;
        if (debug.notice.startsWith("lobby chat")) notify("");
      };
      connected();
      chat.on("connected", connected);
      chat.on("disconnected", () => {
        debug.lobbyChatConnected = false;
      });
      // Every (re)join starts with the last lines: they replace what is shown.
      chat.on("history", ({ messages }) => {
        log.replaceChildren();
        debug.lobbyChat = [];
        for (const line of messages) {
          debug.lobbyChat.push(line);
          appendChat(log, line);
        }
      });
      chat.on("message", (line) => {
        debug.lobbyChat.push(line);
        appendChat(log, line);
      });
      chat.on("error", (error) => notify(`chat: ${error.message}`));
    },
    (error: unknown) => {
      // Refused for good (not logged in, not allowed); anything passing is retried by the SDK.
      if (player === me) notify(`lobby chat unavailable: ${errorText(error)}`);
    },
  );
}

$("#lobby-chat .chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("#lobby-chat input");
  if (input.value.trim() === "" || lobbyChat?.send(input.value) !== true) return;
  input.value = "";
});

// ---- the game picker ----

/**
 * Fills the picker from `GET /games`, keeping only the games this client can show. A server without the route
 * (before games were plug-ins) or one that cannot be reached leaves the arena's modes, searched as before.
 */
async function loadGames(): Promise<void> {
  const listed = await arena.games().catch(() => undefined);
  const games = Array.isArray(listed) ? playableGames(listed, new Set(GAME_CLIENTS.keys())) : [];
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
  const search = arena.findMatch(options);
  searching = search;
  search.on("status", (status) => {
    debug.search = status;
    $("#search-status").textContent =
      `waited ${Math.round(status.waitedMs / 1000)} s · rating window ±${Math.round(status.ratingWindow)} · ` +
      `${status.queued} searching`;
  });
  search.on("error", (error) => notify(error.message));
  let found: Match;
  try {
    found = await search.match;
  } catch (error) {
    if (searching === search) searching = undefined;
    if (error instanceof SearchCancelledError) return;
    if (!(error instanceof RoomClosedError)) notify(`could not search: ${errorText(error)}`);
    else if (error.code !== CloseCode.NormalLeave) notify(`the search stopped (${error.code})`);
    show("lobby");
    return;
  }
  if (searching === search) searching = undefined;
  enterMatch(found);
}

$("#cancel").addEventListener("click", () => {
  const search = searching;
  searching = undefined;
  void search?.cancel();
  show("lobby");
});

// ---- the match ----

/** Shows `handle`'s match in the view of its game, and follows it until it is over. */
function enterMatch(handle: Match): boolean {
  // The seat leads into the room named after its game.
  const game = GAME_CLIENTS.get(handle.game);
  if (game === undefined) {
    notify(`this client cannot show the game "${handle.game}"`);
    void handle.leave();
    show("lobby");
    return false;
  }
  view?.stop();
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
  for (const element of document.querySelectorAll<HTMLElement>(".game-view")) {
    element.hidden = element.id !== `view-${game.id}`;
  }
  // Shown before mounting, so the view can take the keyboard focus.
  show("match");
  matchGame = game;
  match = handle;
  const mounted = game.mount(
    $(`#view-${game.id}`),
    handle,
    {
      chat: (line) => {
        debug.matchChat.push(line);
        appendChat($("#match-chat .chat-log"), line);
      },
      ended: (results) => {
        debug.results = results;
        showResults(results);
      },
    },
    player?.id ?? "",
  );
  view = mounted;
  debug.match = mounted.debug;
  follow(handle, mounted);
  return true;
}

/**
 * The notices and screens of a match's life; getting back in is the handle's (docs/CLIENT.md "Reconnection"):
 * a drop, a hand-off (4001, 4010), a crash or a restart leads back into the same match, else to `lost`.
 */
function follow(handle: Match, mounted: GameView): void {
  const current = () => match === handle;
  handle.on("dropped", ({ code }) => {
    if (!current()) return;
    const moved = code === CloseCode.ServerShutdown || code === CloseCode.MayTryReconnect;
    notify(moved ? "the server moved the match: rejoining…" : "connection lost: reconnecting…");
  });
  handle.on("rejoined", () => {
    if (current()) notify("");
  });
  handle.on("ended", ({ result, cancelled }) => {
    if (!current()) return;
    if (cancelled) {
      mounted.stop();
      notify("too few players arrived: the match was cancelled, search again");
      home();
    } else {
      if (debug.results === null && result !== undefined) {
        debug.results = result.results as MatchResultRow[];
        showResults(debug.results);
      }
      // The view goes on until the room closes (4105): the final state may come after `matchEnd`.
      handle.room.onLeave(() => mounted.stop());
    }
  });
  handle.on("lost", ({ reason, code }) => {
    mounted.stop();
    // The result is on screen (or the player went on to the leaderboards): the match is over, whatever closed it.
    if (!current() || debug.results !== null) return;
    notify(`left the match (${code === undefined ? reason : code})`);
    home();
  });
}

/**
 * Continues a live match after a reload: the SDK takes a fresh seat from POST /sessions/:id/rejoin, trying again
 * with backoff while the match is being recovered (503) or the server cannot be reached, for 60 s; any other
 * answer (409 ended, 403, 401) is final.
 */
async function rejoin(sessionId: string): Promise<boolean> {
  let handle: Match;
  try {
    handle = await arena.rejoin(sessionId);
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 0 || status === 503) notify(`could not get back into the match: ${errorText(error)}`);
    return false;
  }
  return enterMatch(handle);
}

$("#match-chat .chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>("#match-chat input");
  const channel = $<HTMLSelectElement>("#match-chat .chat-channel").value;
  if (input.value.trim() !== "") match?.say(input.value, channel === "team" ? "team" : "all");
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
  const picture = view?.finalPicture?.();
  $("#end-picture").replaceChildren(...(picture === undefined ? [] : [picture]));
  show("end");
  void refreshPlayer();
}

$("#end-back").addEventListener("click", () => {
  view?.stop();
  void match?.leave();
  match = undefined;
  view = undefined;
  home();
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
    const boards = await arena.leaderboards();
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
  const { entries } = await arena.leaderboard(id, { limit: 50 });
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
arena.resume().then(
  (me) => (me === undefined ? undefined : signedIn(me)),
  // The stored login is kept (the server may be restarting); a reload tries it again.
  (error: unknown) => notify(`could not continue the login: ${errorText(error)}`),
);
