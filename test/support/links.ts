/** The target of a response's `Link: <…>; rel="next"`, or `undefined` when there is none. */
export function nextLink(response: { headers: Record<string, unknown> }): string | undefined {
  const header = response.headers.link;
  if (header === undefined) return undefined;
  const match = /^<([^>]+)>; rel="next"$/.exec(String(header));
  if (!match) throw new Error(`not a rel="next" Link: ${String(header)}`);
  return match[1];
}
