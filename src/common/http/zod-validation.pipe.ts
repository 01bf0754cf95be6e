import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { ValidationProblem } from './problem.exception.js';

/**
 * Parses a route argument with a zod schema: `@Query(new ZodValidationPipe(schema))`.
 * Failures become a 400 problem with one entry per bad field, prefixed by where it came from.
 */
@Injectable()
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(private readonly schema: Schema) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<Schema> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const source = metadata.type === 'param' ? 'params' : metadata.type;
    // One message per field: the first problem found is the one to fix first.
    const byField = new Map<string, string>();
    for (const issue of result.error.issues) {
      const field = [source, ...issue.path.map(String)].join('.');
      if (!byField.has(field)) byField.set(field, issue.message);
    }
    throw new ValidationProblem([...byField].map(([field, message]) => ({ field, message })));
  }
}
