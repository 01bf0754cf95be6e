import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiParam, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { z } from 'zod';

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[] };

/** The JSON Schema of what a client sends (zod's input side), without the `$schema` line. */
export function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return json;
}

/** Documents a JSON body with its zod schema. */
export const ApiZodBody = (schema: z.ZodType) => ApiBody({ schema: inputSchema(schema) as object });

/** Documents each query parameter of a zod object schema. */
export function ApiZodQuery(schema: z.ZodType) {
  const json = inputSchema(schema);
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: json.required?.includes(name) ?? false,
        schema: property as object,
        description: property.description as string | undefined,
      }),
    ),
  );
}

/** Documents an integer id path parameter. */
export const ApiIdParam = (name = 'id') =>
  ApiParam({ name, schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } });

const PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** The problem+json error responses a route can give. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: 'Problem details (RFC 9457)',
        content: { 'application/problem+json': { schema: PROBLEM } },
      }),
    ),
  );
}

/** A 2xx response described by a JSON schema. */
export const ApiJson = (status: number, description: string, schema: object) =>
  ApiResponse({ status, description, schema });
