/** The app's name: Postgres `application_name` prefix, Redis key prefixes, logs. Passed to infrastructure modules as an option. */
export const APP_NAME = 'store-api';

/** The prefix of every Redis key and channel of this app in this environment: `store-api:<NODE_ENV>`. */
export function appKeyPrefix(config: { NODE_ENV: string }): string {
  return `${APP_NAME}:${config.NODE_ENV}`;
}
