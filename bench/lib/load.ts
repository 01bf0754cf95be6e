import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** autocannon against `base`, each request's path drawn by `path()`. */
export async function load(
  base: string,
  path: () => string,
  { connections = 50, durationS = 6, headers = {} as Record<string, string> } = {},
): Promise<LoadResult> {
  const result = await autocannon({
    url: base,
    connections,
    duration: durationS,
    headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: path() }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
