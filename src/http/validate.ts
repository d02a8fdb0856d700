import type { z } from "zod";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";

/** Parses `value` with `schema`, or raises a 400 naming the first offending field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue !== undefined && issue.path.length > 0 ? issue.path.map(String).join(".") : "body";
  const message =
    issue?.code === "invalid_type" && issue.path.length > 0
      ? `${field} is required or has the wrong type`
      : issue?.message;
  throw new AppError(ErrorCode.InvalidInput, `${field}: ${message ?? "invalid"}`, { field });
}

/** Parses the request body with the body schema its route declares (routeSpec.ts), or raises a 400. */
export function parseBody<S extends { body: z.ZodType }>(spec: S, req: { body?: unknown }): z.output<S["body"]> {
  return parse<S["body"]>(spec.body, req.body);
}

/** Parses the query with the query schema its route declares (routeSpec.ts), or raises a 400. */
export function parseQuery<S extends { query: z.ZodType }>(spec: S, req: { query: unknown }): z.output<S["query"]> {
  return parse<S["query"]>(spec.query, req.query);
}
