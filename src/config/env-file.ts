import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** Where local settings live (see .env.example); relative to the working directory. */
export const ENV_FILE = '.env';

/**
 * The process's environment over the variables of `.env`, when there is one: a variable set in the
 * environment wins, as with Node's `--env-file`. Tests (NODE_ENV=test) never read it, so that a
 * developer's local settings cannot change what they check. `process.env` itself is left as it is.
 */
export function withEnvFile(env: NodeJS.ProcessEnv, file = ENV_FILE): NodeJS.ProcessEnv {
  if (env.NODE_ENV === 'test' || !existsSync(file)) return env;
  return { ...parseEnv(readFileSync(file, 'utf8')), ...env };
}
