/**
 * Common-password refusal. The list is `passwords-common` of @zxcvbn-ts/language-common (the maintained TypeScript
 * port of Dropbox's zxcvbn): about 49,000 of the most used passwords from public breach corpora. Only entries long
 * enough to pass the length rule matter; they are kept lower-cased in a Set.
 */
import { dictionary } from "@zxcvbn-ts/language-common";

let common: Set<string> | undefined;

function load(): Set<string> {
  const list = (dictionary as Record<string, readonly string[]>)["passwords-common"] ?? [];
  return new Set(list.filter((password) => password.length >= 8).map((password) => password.toLowerCase()));
}

export function isCommonPassword(password: string): boolean {
  common ??= load();
  return common.has(password.toLowerCase());
}

export function commonPasswordCount(): number {
  common ??= load();
  return common.size;
}
