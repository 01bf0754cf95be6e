import type { z } from 'zod';
import { appConfigSchema, LOCAL_DEFAULTS, tracingFields, type AppConfigValues } from './app-config.schema.js';
import { withEnvFile } from './env-file.js';

export class InvalidConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

/**
 * Reads and validates the whole configuration once. Development and test get local defaults for
 * connection URLs; production must set every one of them.
 * @param env defaults to the process's environment over `.env` (see `withEnvFile`).
 * @throws InvalidConfigError naming each bad key and why.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = withEnvFile(process.env)): AppConfigValues {
  const nodeEnv = env.NODE_ENV || 'development';
  const defaults = LOCAL_DEFAULTS[nodeEnv as keyof typeof LOCAL_DEFAULTS] ?? {};
  const input = { ...defaults, ...withoutEmpty(env) };
  const result = appConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidConfigError(
    result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '(root)');
      const given = input[key as keyof typeof input];
      // A custom issue on a missing key says what may stand in for it.
      const message =
        given === undefined
          ? requiredMessage(nodeEnv) + (issue.code === 'custom' ? `; ${issue.message}` : '')
          : issue.message;
      return `${key}: ${message}${given === undefined ? '' : ` (got ${JSON.stringify(redact(key, given))})`}`;
    }),
  );
}

function requiredMessage(nodeEnv: string): string {
  return nodeEnv === 'production' ? 'required in production (no local default)' : 'required';
}

/** An empty variable means "not set", as in most shells' `FOO= cmd` usage. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== '')) as Record<
    string,
    string
  >;
}

/** Secrets, and the passwords connection URLs may carry, never appear in error messages. */
function redact(key: string, value: string): string {
  if (/SECRET|_TOKEN$|_KEY$/.test(key)) return '***';
  if (!/_(URLS?|NODES)$/.test(key)) return value;
  return value.replace(/\/\/([^:@/]*):[^@/]*@/g, '//$1:***@');
}

/** Only the primary's URL, for tools (migrate, seed) that need nothing else. */
export function loadDatabaseUrl(env: NodeJS.ProcessEnv = withEnvFile(process.env)): string {
  const nodeEnv = env.NODE_ENV || 'development';
  const fallback = LOCAL_DEFAULTS[nodeEnv as keyof typeof LOCAL_DEFAULTS]?.DATABASE_URL;
  const result = appConfigSchema.shape.DATABASE_URL.safeParse(env.DATABASE_URL || fallback);
  if (result.success) return result.data;
  throw new InvalidConfigError([
    `DATABASE_URL: ${env.DATABASE_URL ? result.error.issues[0].message : requiredMessage(nodeEnv)}`,
  ]);
}

export type TracingSettings = z.output<typeof tracingFields> & { enabled: boolean };

/**
 * Only the OpenTelemetry variables, for the tracing preload (`src/tracing/register.ts`), which runs
 * before the app and its config. `enabled`: an OTLP exporter is asked for and the SDK not disabled.
 * @throws InvalidConfigError as `loadAppConfig` (which reports the same keys again at boot).
 */
export function loadTracingSettings(env: NodeJS.ProcessEnv = withEnvFile(process.env)): TracingSettings {
  const result = tracingFields.safeParse(withoutEmpty(env));
  if (!result.success)
    throw new InvalidConfigError(result.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`));
  const settings = result.data;
  const asked =
    settings.OTEL_TRACES_EXPORTER === 'otlp' ||
    (settings.OTEL_TRACES_EXPORTER === undefined &&
      Boolean(settings.OTEL_EXPORTER_OTLP_ENDPOINT || settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT));
  return { ...settings, enabled: asked && !settings.OTEL_SDK_DISABLED };
}
