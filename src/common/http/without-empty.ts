/** `T` as a mapper may build it: its optional fields may also be `null`, `''` or `[]` (read: nothing). */
export type MaybeEmpty<T> = { [K in keyof T]: undefined extends T[K] ? T[K] | null : T[K] };

/**
 * Lean payloads (docs/payloads.md): drops the fields that carry nothing — `null`, `undefined`,
 * `''` and `[]` — from one level of `value`, so a DTO mapper states every field and the response
 * holds only those with content. Zeros and `false` are values, kept. The response schemas mark
 * such fields optional (not nullable) and say what their absence means.
 */
export function withoutEmpty<T extends object>(value: MaybeEmpty<T>): T {
  const lean: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    if (field !== null && field !== undefined && field !== '' && !(Array.isArray(field) && field.length === 0))
      lean[key] = field;
  return lean as T;
}
