import { z } from 'zod';

/**
 * `?fields=a,b` (sparse fieldsets): only the names in `allowed`; unknown ones are a 400 naming
 * them and listing the allowed. Parsed in the whitelist's order, so `b,a` and `a,b,a` are one
 * view: one response, one cache entry (the cache keys on the parsed query).
 */
export const fieldsParam = <const T extends readonly string[]>(allowed: T) =>
  z
    .string()
    .max(500)
    .transform((value) =>
      value
        .split(',')
        .map((field) => field.trim())
        .filter(Boolean),
    )
    .superRefine((fields, context) => {
      const unknown = [...new Set(fields.filter((field) => !allowed.includes(field)))];
      if (unknown.length)
        context.addIssue({
          code: 'custom',
          message: `unknown field(s): ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
        });
      if (!fields.length) context.addIssue({ code: 'custom', message: 'must name at least one field' });
    })
    .transform((fields): T[number][] => allowed.filter((field) => fields.includes(field)));

/** Whether a view includes `field` (no `?fields=`: every field). */
export const wants = (fields: readonly string[] | undefined, field: string): boolean =>
  !fields || fields.includes(field);

/**
 * Keeps only the requested fields (already validated against the whitelist); a field the value
 * omits (empty, see `withoutEmpty`) stays omitted.
 */
export function pickFields<T extends object>(value: T, fields: readonly string[] | undefined): Partial<T> {
  if (!fields) return value;
  const picked: Partial<T> = {};
  for (const field of fields)
    if ((value as Record<string, unknown>)[field] !== undefined) picked[field as keyof T] = value[field as keyof T];
  return picked;
}
