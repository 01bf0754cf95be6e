import type { FastifyRequest } from 'fastify';
import type { ApiKeyIdentity, ApiKeysService } from '../api-keys/index.js';
import type { AuthUser } from '../auth/auth-user.js';
import type { AuthService } from '../auth/auth.service.js';

/** Who is calling, as far as anything the client sent can be believed. */
export interface ClientIdentity {
  /** The rate-limit bucket: `user:<id>`, `key:<id>` or `ip:<address>`. */
  client: string;
  user?: AuthUser;
  key?: ApiKeyIdentity;
  /** An API key was sent that no registry knows (or it is revoked): the request is counted by IP, then refused. */
  unknownKey?: true;
}

/**
 * Resolves the caller: the user of a valid bearer token, else a registered API key, else the IP
 * (Fastify's `trustProxy` decides which). Nothing a client can invent makes a new bucket: a bad
 * token is an anonymous request, an unknown key is counted by IP (and answered 401 by the edge).
 */
export class ClientIdentities {
  constructor(
    private readonly auth: AuthService,
    private readonly keys: Pick<ApiKeysService, 'verify'>,
    private readonly apiKeyHeader = 'x-api-key',
  ) {}

  resolve(request: FastifyRequest): ClientIdentity | Promise<ClientIdentity> {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
      const user = this.auth.userOfBearer(authorization.slice(7));
      if (user) return { client: `user:${user.id}`, user };
    }
    const rawKey = request.headers[this.apiKeyHeader];
    if (rawKey === undefined) return { client: `ip:${request.ip}` };
    const key = typeof rawKey === 'string' ? this.keys.verify(rawKey) : undefined;
    return key instanceof Promise ? key.then((found) => this.byKey(request, found)) : this.byKey(request, key);
  }

  private byKey(request: FastifyRequest, key: ApiKeyIdentity | undefined): ClientIdentity {
    return key ? { client: `key:${key.id}`, key } : { client: `ip:${request.ip}`, unknownKey: true };
  }
}
