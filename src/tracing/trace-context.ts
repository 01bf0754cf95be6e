import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';

/**
 * What the app calls to take part in traces. Only `@opentelemetry/api`: with tracing off no SDK is
 * loaded, the API's no-op globals answer, and every helper returns before doing work.
 */

let tracingOn = false;
const tracer = trace.getTracer('store-api');
const notRecording = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Called once by the SDK start-up (`tracing-sdk.ts`). */
export function markTracingOn(): void {
  tracingOn = true;
}

export function isTracingOn(): boolean {
  return tracingOn;
}

/** `trace_id` and `span_id` of the active span, for log lines (empty outside a span). */
export function traceIds(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext)
    ? { trace_id: spanContext.traceId, span_id: spanContext.spanId }
    : {};
}

/** The active span as a W3C `traceparent`, to store beside work another process picks up; null when off. */
export function currentTraceparent(): string | null {
  if (!tracingOn) return null;
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** Adds `traceparent` (and any other propagated header) of the active span to outgoing headers. */
export function withTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (tracingOn) propagation.inject(context.active(), headers);
  return headers;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** A `traceparent` from another process: the span continues that trace (else the active one's). */
  parent?: string | null;
}

/**
 * Runs `work` in a child span of the active one (or of `parent`), ended when it settles; a throw
 * marks the span as an error. Off: runs `work` with a span that records nothing.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  if (!tracingOn) return work(notRecording);
  const parent = options.parent ? propagation.extract(ROOT_CONTEXT, { traceparent: options.parent }) : context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** An event on the active span (e.g. a cache decision), only when it records. */
export function spanEvent(name: string, attributes?: Attributes): void {
  if (!tracingOn) return;
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.addEvent(name, attributes);
}

/** The HTTP server span named by its route template (`GET /products/:id`), not its URL. */
export function nameServerSpan(method: string, route: string | undefined): void {
  if (!tracingOn || !route) return;
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.updateName(`${method} ${route}`).setAttribute('http.route', route);
}

/** Sends the spans still waiting in the batch (before the process exits). */
export async function flushTraces(): Promise<void> {
  if (!tracingOn) return;
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.();
}

export { SpanKind };
