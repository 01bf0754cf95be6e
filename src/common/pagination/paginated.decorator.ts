import { SetMetadata } from '@nestjs/common';

/** Metadata of `@Paginated()`, read into the route policy (`attachRoutePolicies`). */
export const PAGINATED = 'pagination:paginated';

export interface PaginatedOptions {
  /** The query parameter that selects a page. @default 'cursor' */
  param: string;
  /** The body field that holds that parameter's value for the next page (absent on the last). @default 'nextCursor' */
  next: string;
}

/**
 * A paginated list: where its 200 body names a next page, the edge sends
 * `Link: <this URL with param=next>; rel="next"` (RFC 8288), and the OpenAPI document lists the header.
 */
export const Paginated = ({ param = 'cursor', next = 'nextCursor' }: Partial<PaginatedOptions> = {}): MethodDecorator =>
  SetMetadata(PAGINATED, { param, next } satisfies PaginatedOptions);
