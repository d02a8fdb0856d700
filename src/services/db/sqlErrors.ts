/** PostgreSQL error recognition shared by the stores (node-pg and PGlite both expose SQLSTATE as `code`). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, constraint: name } = error as { code?: unknown; constraint?: unknown };
  return code === "23505" && (constraint === undefined || name === constraint);
}
