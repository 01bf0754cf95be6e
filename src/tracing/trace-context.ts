import {
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
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
  return tracingOn ? traceparentOf(context.active()) : null;
}

/** The W3C `traceparent` of a context's span (as stored in outbox rows and job data). */
function traceparentOf(from: Context): string | null {
  const carrier: { traceparent?: string } = {};
  propagation.inject(from, carrier);
  return carrier.traceparent ?? null;
}

/** The context of a stored `traceparent`, to continue its trace in this process. */
function contextOf(traceparent: string): Context {
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** Marks a span as failed by `error` (its exception event and error status). */
function markFailed(span: Span, error: Error): void {
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
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
  const parent = options.parent ? contextOf(options.parent) : context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await work(span);
      } catch (error) {
        markFailed(span, error as Error);
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** A span begun on behalf of stored work (see `startHandOffSpan`), ended by whoever began it. */
export interface HandOffSpan {
  /** This span as a W3C `traceparent`: the next hop continues from it. */
  readonly traceparent: string;
  end(error?: Error): void;
}

/**
 * A span continuing a stored `traceparent` (an outbox row's) for one hand-off done outside any
 * request, such as the relay moving the row to its queue; several can be open at once, one per
 * row, each in its own trace. Undefined when tracing is off or the row carries no trace.
 */
export function startHandOffSpan(name: string, parent: string | null, attributes: Attributes): HandOffSpan | undefined {
  if (!tracingOn || !parent) return undefined;
  const span = tracer.startSpan(name, { kind: SpanKind.PRODUCER, attributes }, contextOf(parent));
  return {
    traceparent: traceparentOf(trace.setSpan(ROOT_CONTEXT, span)) ?? parent,
    end(error) {
      if (error) markFailed(span, error);
      span.end();
    },
  };
}

/**
 * A cache decision as an event on the active span, only when it records. Its attributes are built
 * here, after that check: the callers are every cache hit, where an object per call would be paid
 * with tracing off.
 */
export function cacheEvent(
  name: 'cache.hit' | 'cache.stale' | 'cache.miss' | 'cache.lock_wait',
  namespace: string,
  layer?: 'l1' | 'l2',
): void {
  if (!tracingOn) return;
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.addEvent(
    name,
    layer ? { 'cache.layer': layer, 'cache.namespace': namespace } : { 'cache.namespace': namespace },
  );
}

/** A request's span and the context it is active in (the extracted parent's other entries kept). */
export interface ServerSpan {
  span: Span;
  context: Context;
}

/** Requests not worth a trace: probes and scrapes, several a second. */
const UNTRACED_ROUTES = /^\/(health|metrics)(\/|$)/;

/**
 * An HTTP request's server span, named by its route template (`GET /products/:id`) and continuing
 * the caller's `traceparent`; undefined when tracing is off or for probes. Started by the edge
 * (not by an instrumentation of `http`, which binds every request and response to a context and
 * computes its attributes whether the request is sampled or not).
 */
export function startServerSpan(
  method: string,
  route: string | undefined,
  url: string,
  headers: Record<string, string | string[] | undefined>,
): ServerSpan | undefined {
  if (!tracingOn || (route && UNTRACED_ROUTES.test(route))) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const name = route ? `${method} ${route}` : method;
  const span = tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  if (span.isRecording()) {
    const query = url.indexOf('?');
    span.setAttributes({
      'http.request.method': method,
      'url.path': query < 0 ? url : url.slice(0, query),
      ...(route && { 'http.route': route }),
    });
  }
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `work` with the request's span active. */
export function inServerSpan<T>(server: ServerSpan, work: () => T): T {
  return context.with(server.context, work);
}

/** Ends the request's span with its status (5xx: an error). */
export function endServerSpan(server: ServerSpan | undefined, statusCode: number): void {
  if (!server) return;
  const { span } = server;
  if (span.isRecording()) {
    span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Sends the spans still waiting in the batch (before the process exits). */
export async function flushTraces(): Promise<void> {
  if (!tracingOn) return;
  const provider = trace.getTracerProvider() as { getDelegate?: () => { forceFlush?: () => Promise<void> } };
  await provider.getDelegate?.().forceFlush?.();
}

export { SpanKind };
