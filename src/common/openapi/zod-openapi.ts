import { SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiOperation, ApiResponse, type StandardSchemaConverter } from '@nestjs/swagger';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from '../http/problem-details.js';
import { problemSchema, requestComponents, responseComponents } from './contract.js';
import { responseHeaders, type ResponseHeader } from './http-headers.js';

type JsonSchema = Record<string, unknown>;

/** Metadata of `@ApiRoute({ writes: true })`, read by the document builder. */
export const API_WRITES = 'openapi:writes';

export interface ApiRouteOptions {
  /** A stable operation id, `<domain>.<verb>` (e.g. `products.get`): client generators name methods after it. */
  id: string;
  summary: string;
  description?: string;
  /** A successful answer always carries `X-Consistency-Token` (the handler writes). @default false */
  writes?: boolean;
}

/** The operation: its stable id and summary (the document builder adds what every route of its kind answers). */
export const ApiRoute = ({ id, summary, description, writes = false }: ApiRouteOptions) =>
  applyDecorators(ApiOperation({ operationId: id, summary, description }), SetMetadata(API_WRITES, writes));

export interface ApiAnswerOptions {
  /** Headers particular to this answer, `true` where always sent. */
  headers?: Partial<Record<ResponseHeader, boolean>>;
}

/** A JSON answer described by a registered response schema (`responseContract`): a `$ref` to its component. */
export const ApiJson = (status: number, description: string, schema: z.ZodType, { headers }: ApiAnswerOptions = {}) =>
  ApiResponse({ status, description, standardSchema: schema, ...(headers && { headers: responseHeaders(headers) }) });

/** An answer without a body (204, 304). */
export const ApiEmpty = (status: number, description: string) => ApiResponse({ status, description });

/**
 * A problem answer particular to the route (404, 409, 422…), in `application/problem+json`; `schema`
 * when the problem carries more than the `Problem` component. The builder adds the problems every
 * route of its kind can give (see `openapi-document.ts`).
 */
export const ApiProblem = (status: number, description: string, schema: z.ZodType = problemSchema) =>
  ApiResponse({
    status,
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: refTo(responseComponents.get(schema)!.id) } } },
  });

const refTo = (id: string) => `#/components/schemas/${id}`;

/** Every registered schema, as `components.schemas` (responses: output side; request bodies: input side). */
export function contractComponents(): Record<string, JsonSchema> {
  const convert = (registry: typeof responseComponents, io: 'input' | 'output') => {
    const { schemas } = z.toJSONSchema(registry, { uri: refTo, io, unrepresentable: 'any' }) as {
      schemas: Record<string, JsonSchema>;
    };
    return Object.fromEntries(
      Object.entries(schemas).map(([id, { $schema: _schema, $id: _id, ...schema }]) => [id, schema]),
    );
  };
  return { ...convert(responseComponents, 'output'), ...convert(requestComponents, 'input') };
}

/**
 * `standardSchemaConverter` for @nestjs/swagger: a registered schema is a `$ref` to its component
 * (the builder adds every component); any other (query and path parameters) is written inline.
 */
export const zodSchemaConverter: StandardSchemaConverter = (schema, { schemaType }) => {
  if (!(schema instanceof z.ZodType)) return undefined;
  const id = (schemaType === 'output' ? responseComponents : requestComponents).get(schema)?.id;
  if (id) return { schema: { $ref: refTo(id) } };
  const { $schema: _schema, ...inline } = z.toJSONSchema(schema, { io: schemaType, unrepresentable: 'any' });
  return { schema: inline };
};

/** The JSON Schema of what a client sends, for a header documented by hand (`ApiHeader`). */
export function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _schema, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return json;
}
