/** The target of a response's `Link: <…>; rel="next"`, or `undefined` when there is none. */
export function nextLink(response: {
  headers: Record<string, string | string[] | number | undefined>;
}): string | undefined {
  const header = response.headers.link;
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(', ') : `${header}`;
  const match = /^<([^>]+)>; rel="next"$/.exec(value);
  if (!match) throw new Error(`not a rel="next" Link: ${value}`);
  return match[1];
}
