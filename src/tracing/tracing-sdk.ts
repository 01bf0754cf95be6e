import { context, propagation, SpanKind, trace, type Context, type Link, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { register } from 'node:module';
import type { TracingSettings } from '../config/load-app-config.js';
import { markTracingOn } from './trace-context.js';

/**
 * Starts the OpenTelemetry SDK: OTLP/HTTP exporter (the standard `OTEL_EXPORTER_OTLP_*` variables),
 * batched; W3C trace context; spans for Prisma queries and ioredis commands (the HTTP edge starts
 * each request's span itself, see `startServerSpan`).
 */
export async function startTracing(settings: TracingSettings, serviceName: string): Promise<void> {
  // The ESM hook intercepts only the modules instrumentations ask for (ioredis), not all.
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    sampler: new EntryPointSampler(samplerOf(settings)),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: tracesUrl(settings) }),
        scheduledDelayMillis: settings.OTEL_BSP_SCHEDULE_DELAY,
      }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [new IORedisInstrumentation({ requireParentSpan: true }), new PrismaInstrumentation()],
  });
  await waitForAllMessagesAcknowledged();
  markTracingOn();
  process.once('beforeExit', () => void provider.shutdown());
}

/**
 * The URL as the specification builds it, from the settings (which may come from `.env`, that the
 * exporter's own reading of the environment would miss); undefined: the exporter's default.
 */
function tracesUrl(settings: TracingSettings): string | undefined {
  if (settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return settings.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = settings.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base && `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, as the specification reads them. */
function samplerOf(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.OTEL_TRACES_SAMPLER_ARG);
  switch (settings.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * A trace starts only at an entry point: a request (server span) or a job (consumer span). Root
 * spans of background work — the relay's polling, health and replica probes, each a Prisma query
 * several times a second — are dropped instead of filling the backend with one-span traces.
 */
class EntryPointSampler implements Sampler {
  constructor(private readonly delegate: Sampler) {}

  shouldSample(
    parent: Context,
    traceId: string,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    links: Link[],
  ): SamplingResult {
    const isRoot = !trace.getSpanContext(parent);
    if (isRoot && kind !== SpanKind.SERVER && kind !== SpanKind.CONSUMER)
      return { decision: SamplingDecision.NOT_RECORD };
    return this.delegate.shouldSample(parent, traceId, name, kind, attributes, links);
  }

  toString(): string {
    return `EntryPointSampler{${this.delegate.toString()}}`;
  }
}
