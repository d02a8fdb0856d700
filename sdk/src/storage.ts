/**
 * Where the client keeps what outlives a page or a process: the refresh token (the login) and the guest device id.
 * The access token is never stored: it lives in memory and is renewed from the refresh token.
 */
export type StorageKey = "refreshToken" | "deviceId";

/** A storage adapter: synchronous or asynchronous (a file, a keychain, React Native's AsyncStorage). */
export interface TokenStorage {
  get(key: StorageKey): string | undefined | Promise<string | undefined>;
  set(key: StorageKey, value: string): void | Promise<void>;
  remove(key: StorageKey): void | Promise<void>;
}

/** Keeps everything in memory: a process (a bot, a test) that logs in anew each time. The default. */
export class MemoryStorage implements TokenStorage {
  private readonly values = new Map<StorageKey, string>();

  get(key: StorageKey): string | undefined {
    return this.values.get(key);
  }

  set(key: StorageKey, value: string): void {
    this.values.set(key, value);
  }

  remove(key: StorageKey): void {
    this.values.delete(key);
  }
}

/** The part of the Web Storage API this adapter uses. */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * The browser's `localStorage` (or any Web Storage), keys prefixed with `prefix` (default `arena.`: the browser
 * client's `arena.refreshToken` and `arena.deviceId`, so a login made before it used the SDK carries over).
 */
export class LocalStorage implements TokenStorage {
  private readonly store: WebStorageLike;

  constructor(
    private readonly prefix = "arena.",
    store?: WebStorageLike,
  ) {
    const found = store ?? (globalThis as { localStorage?: WebStorageLike }).localStorage;
    if (found === undefined)
      throw new Error("LocalStorage: no localStorage here; pass a Web Storage or use MemoryStorage");
    this.store = found;
  }

  get(key: StorageKey): string | undefined {
    return this.store.getItem(this.prefix + key) ?? undefined;
  }

  set(key: StorageKey, value: string): void {
    this.store.setItem(this.prefix + key, value);
  }

  remove(key: StorageKey): void {
    this.store.removeItem(this.prefix + key);
  }
}
