import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { LightMyRequestResponse } from 'fastify';

interface Schema {
  [keyword: string]: unknown;
}
interface Response {
  description?: string;
  headers?: Record<string, { required?: boolean; schema?: Schema }>;
  content?: Record<string, { schema?: Schema }>;
}
interface Operation {
  operationId: string;
  responses: Record<string, Response>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const BASE = 'openapi';
const JSON_TYPES = new Set(['application/json', 'application/problem+json']);
/** Headers the API sends only where the document lists them: one on any other response fails it. */
const ONLY_WHERE_DOCUMENTED = ['Link'];

/**
 * Checks real responses against the OpenAPI document: the status is documented for the route, the
 * body is valid for the schema of its status and media type (ajv, JSON Schema 2020-12 as in
 * OpenAPI 3.1), every header the document marks required is there, every documented header sent
 * is valid for its schema, and a `Link` is sent only where documented.
 */
export class ContractChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<Schema, ValidateFunction>();
  private readonly routes: { method: string; pattern: RegExp; operation: Operation }[] = [];
  /** `operationId status` of every response checked. */
  readonly seen = new Set<string>();

  constructor(readonly document: OpenApiDocument) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: BASE, components: document.components });
    for (const [path, item] of Object.entries(document.paths))
      for (const [method, operation] of Object.entries(item)) {
        const pattern = new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`);
        this.routes.push({ method: method.toUpperCase(), pattern, operation });
      }
  }

  /** Failures as readable lines (empty when the response keeps the contract). */
  check(method: string, url: string, response: LightMyRequestResponse): string[] {
    const path = url.split('?')[0];
    const route = this.routes.find((candidate) => candidate.method === method && candidate.pattern.test(path));
    if (!route) return [`${method} ${path} is not documented`];
    const { operationId, responses } = route.operation;
    const where = `${operationId} ${response.statusCode}`;
    const documented = responses[response.statusCode];
    if (!documented) return [`${where}: status not documented (${Object.keys(responses).join(', ')})`];
    this.seen.add(where);
    const failures: string[] = [];
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const value = response.headers[name.toLowerCase()];
      if (value === undefined) {
        if (header.required) failures.push(`${where}: header ${name} missing`);
      } else if (header.schema?.type === 'string' && !this.validator(header.schema)(String(value)))
        failures.push(`${where}: header ${name} "${String(value)}" does not match ${JSON.stringify(header.schema)}`);
    }
    for (const name of ONLY_WHERE_DOCUMENTED)
      if (response.headers[name.toLowerCase()] !== undefined && !documented.headers?.[name])
        failures.push(`${where}: header ${name} sent but not documented`);
    if (response.statusCode === 204 || response.statusCode === 304) {
      if (response.body !== '') failures.push(`${where}: a body where none is documented`);
      return failures;
    }
    const type = String(response.headers['content-type'] ?? '').split(';')[0];
    const content = documented.content?.[type];
    if (!content) return [...failures, `${where}: content type ${type} not documented`];
    if (!content.schema || !JSON_TYPES.has(type)) return failures;
    const fields = new URLSearchParams(url.split('?')[1] ?? '').get('fields');
    const schema =
      fields && response.statusCode === 200 ? this.sparse(content.schema, fields.split(',')) : content.schema;
    const validate = this.validator(schema);
    if (!validate(response.json()))
      failures.push(
        `${where}: body does not match ${JSON.stringify(content.schema)}: ${this.ajv.errorsText(validate.errors)}`,
      );
    return failures;
  }

  /**
   * The schema of a `?fields=` answer: the documented one cut to the fields named (each item's for
   * a page, `data`), those of them it requires still required and no other allowed — so a sparse
   * answer is checked as strictly as a full one.
   */
  private sparse(schema: Schema, fields: string[]): Schema {
    const resolved = this.resolve(schema);
    const properties = resolved.properties as Record<string, Schema> | undefined;
    const data = properties?.data;
    if (data?.type === 'array' && data.items)
      return {
        ...resolved,
        properties: { ...properties, data: { ...data, items: this.sparse(data.items as Schema, fields) } },
      };
    return {
      ...resolved,
      properties: Object.fromEntries(Object.entries(properties ?? {}).filter(([name]) => fields.includes(name))),
      required: ((resolved.required as string[] | undefined) ?? []).filter((name) => fields.includes(name)),
      additionalProperties: false,
    };
  }

  /** A `$ref` to a component, followed (one level). */
  private resolve(schema: Schema): Schema {
    const ref = schema.$ref as string | undefined;
    return ref ? this.document.components.schemas[ref.replace('#/components/schemas/', '')] : schema;
  }

  private validator(schema: Schema): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      // References are to the document's components, registered under BASE.
      const resolved = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', `"${BASE}#/components/`),
      ) as Schema;
      this.validators.set(schema, (validate = this.ajv.compile(resolved)));
    }
    return validate;
  }
}
