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
  /**
   * Runs `task` while no other client on this storage runs one, and resolves with its result. A storage shared by
   * several clients (in one process or page) needs it: a token renewal reads the stored refresh token, exchanges it
   * and stores the new one, and two renewals that read the same token would present it twice, which revokes the
   * login. Optional: without it renewals are not serialised.
   */
  exclusive?<T>(task: () => Promise<T>): Promise<T>;
}

/** One task at a time, in the order asked, within this process. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Keeps everything in memory: a process (a bot, a test) that logs in anew each time. The default. */
export class MemoryStorage implements TokenStorage {
  private readonly values = new Map<StorageKey, string>();
  private readonly queue = new Queue();

  /** Clients sharing this storage renew their tokens one at a time. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(task);
  }

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
  private readonly queue = new Queue();

  constructor(
    private readonly prefix = "arena.",
    store?: WebStorageLike,
  ) {
    const found = store ?? (globalThis as { localStorage?: WebStorageLike }).localStorage;
    if (found === undefined)
      throw new Error("LocalStorage: no localStorage here; pass a Web Storage or use MemoryStorage");
    this.store = found;
  }

  /**
   * The clients of this page that share this adapter renew one at a time. Tabs are not covered: with a Web Lock
   * around the renewal, two Chromium tabs still presented one refresh token (the second read it 1 ms after the
   * first's renewal was answered), so no lock across tabs is taken.
   */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.queue.run(task);
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
