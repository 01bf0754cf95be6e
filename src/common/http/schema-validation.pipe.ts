import { Injectable, StandardSchemaValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { ValidationProblem } from './problem.exception.js';

/**
 * Nest's Standard Schema pipe, global (APP_PIPE): a parameter declared with a schema
 * (`@Query({ schema })`, `@Body({ schema })`, `@Param({ schema })`) is parsed by it, and the
 * same schema documents the parameter in OpenAPI. Failures are a 400 problem with one entry per
 * bad field, named by where it came from (`query.limit`, `params.id`, `body.items.0.quantity`).
 * Parameters without a schema pass through untouched.
 */
@Injectable()
export class SchemaValidationPipe extends StandardSchemaValidationPipe {
  override async transform<T = unknown>(value: T, metadata: ArgumentMetadata): Promise<T> {
    const schema = metadata.schema;
    if (!schema || !this.toValidate(metadata)) return value;
    // No `stripProtoKeys` (~1.5 µs a parameter): the handler gets the schema's output, a new object
    // of the schema's own keys (never `__proto__`, `constructor` or `prototype`), and the JSON
    // parser already refuses bodies that carry them.
    // No body or query at all is an empty one: each required field is then named.
    const validated = this.validate<T>(value ?? {}, schema);
    // zod validates synchronously: no extra turn of the microtask queue for it.
    const result = validated instanceof Promise ? await validated : validated;
    if (!result.issues) return result.value;
    throw new ValidationProblem(fieldErrors(result.issues, metadata));
  }
}

/** A Standard Schema issue (`@standard-schema/spec`). */
interface Issue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

/** One message per field: the first problem found is the one to fix first. */
function fieldErrors(issues: readonly Issue[], { type, data }: ArgumentMetadata) {
  const source = [type === 'param' ? 'params' : type, ...(typeof data === 'string' ? [data] : [])];
  const byField = new Map<string, string>();
  for (const issue of issues) {
    const path = (issue.path ?? []).map((segment) => String(typeof segment === 'object' ? segment.key : segment));
    const field = [...source, ...path].join('.');
    if (!byField.has(field)) byField.set(field, issue.message);
  }
  return [...byField].map(([field, message]) => ({ field, message }));
}
