/** PostgreSQL's unique_violation, whichever driver (pg, PGlite, drizzle's wrapper) reports it. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code === '23505' || e?.cause?.code === '23505';
}
