/**
 * The tracing preload: `node --import ./dist/tracing/register.js dist/main.js` (npm start, the
 * worker, the image). Instrumentation must hook modules before the app imports them, and ESM
 * imports are all resolved before any of the app's code runs: hence a preload, not an import in
 * main.ts. Tracing off (no OTLP endpoint or exporter set): nothing beyond the settings is loaded;
 * nor in a worker thread.
 */
import { basename } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { loadTracingSettings } from '../config/load-app-config.js';

let settings;
try {
  settings = loadTracingSettings();
} catch {
  // Bad OTEL_* values: no tracing; the app's own config check names them and stops the boot.
}
// Worker threads inherit the preload (piscina's pool threads): tracing is the main thread's.
if (settings?.enabled && isMainThread) {
  const { startTracing } = await import('./tracing-sdk.js');
  const entry = basename(process.argv[1] ?? '');
  await startTracing(
    settings,
    settings.OTEL_SERVICE_NAME ?? (entry.startsWith('worker') ? 'store-worker' : 'store-api'),
  );
}
