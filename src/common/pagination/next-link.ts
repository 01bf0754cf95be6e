import type { PaginatedOptions } from './paginated.decorator.js';

/**
 * The `Link` field value for the page after this one (RFC 8288), or `undefined` on the last page
 * (`body` names no next page): the request's own path and query, with `param` set to the body's
 * next value. A relative reference, resolved against the request's URL as RFC 8288 §3.2 allows.
 */
export function nextLinkOf(url: string, body: unknown, { param, next }: PaginatedOptions): string | undefined {
  const value = (body as Record<string, unknown> | null | undefined)?.[next];
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const at = url.indexOf('?');
  const query = new URLSearchParams(at === -1 ? '' : url.slice(at + 1));
  query.set(param, String(value));
  // The path as the client sent it, minus what would end the `<…>` reference or the header.
  const path = (at === -1 ? url : url.slice(0, at)).replace(/[<>"\s]/g, encodeURIComponent);
  return `<${path}?${query.toString()}>; rel="next"`;
}
