/**
 * Development secrets: when JWT_SECRET or ADMIN_PASSWORD are not given outside production, they are generated once
 * into DATA_DIR/secrets.json (mode 0600) and reused on every restart, so tokens survive a restart and the admin
 * password printed on first start keeps working. Production refuses to start without them (see config.ts).
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Config, ResolvedConfig } from "./config.ts";
import { ConfigError, MIN_SECRET_BYTES } from "./config.ts";

interface StoredSecrets {
  jwtSecret: string;
  adminPassword: string;
}

export interface SecretsResolution {
  config: ResolvedConfig;
  /** Set when the admin password was generated in this call: the caller prints it once. */
  generatedAdminPassword: string | undefined;
  secretsFile: string | undefined;
}

function readStored(file: string): Partial<StoredSecrets> {
  if (!fs.existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
    if (parsed === null || typeof parsed !== "object") return {};
    const { jwtSecret, adminPassword } = parsed as Record<string, unknown>;
    return {
      jwtSecret: typeof jwtSecret === "string" && jwtSecret.length >= MIN_SECRET_BYTES ? jwtSecret : undefined,
      adminPassword: typeof adminPassword === "string" && adminPassword.length > 0 ? adminPassword : undefined,
    };
  } catch {
    throw new ConfigError("DATA_DIR", `holds an unreadable ${path.basename(file)}; delete it to regenerate`);
  }
}

/** Fills missing secrets from (or into) DATA_DIR/secrets.json. Production configs pass through untouched. */
export function resolveDevSecrets(config: Config): SecretsResolution {
  if (config.jwtSecret !== undefined && config.adminPassword !== undefined) {
    return {
      config: { ...config, jwtSecret: config.jwtSecret, adminPassword: config.adminPassword },
      generatedAdminPassword: undefined,
      secretsFile: undefined,
    };
  }
  if (config.nodeEnv === "production") {
    // loadConfig already refuses this; kept so the type is honest.
    throw new ConfigError(
      config.jwtSecret === undefined ? "JWT_SECRET" : "ADMIN_PASSWORD",
      "is required in production",
    );
  }
  const file = path.join(config.dataDir, "secrets.json");
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
  } catch (error) {
    throw new ConfigError("DATA_DIR", `cannot be created (${(error as Error).message})`);
  }
  const stored = readStored(file);
  let generatedAdminPassword: string | undefined;
  const next: StoredSecrets = {
    jwtSecret: stored.jwtSecret ?? randomBytes(48).toString("base64url"),
    adminPassword: stored.adminPassword ?? randomBytes(12).toString("base64url"),
  };
  if (stored.adminPassword === undefined) generatedAdminPassword = next.adminPassword;
  if (stored.jwtSecret === undefined || stored.adminPassword === undefined) {
    fs.writeFileSync(file, JSON.stringify(next, null, 2), { mode: 0o600 });
  }
  const adminPassword = config.adminPassword ?? next.adminPassword;
  return {
    config: { ...config, jwtSecret: config.jwtSecret ?? next.jwtSecret, adminPassword },
    generatedAdminPassword: config.adminPassword === undefined ? generatedAdminPassword : undefined,
    secretsFile: file,
  };
}
