import { InvalidConfigError, loadTracingSettings } from './load-app-config.js';

describe('loadTracingSettings (the OTEL_* variables the tracing preload reads)', () => {
  it('is off unless an OTLP endpoint or exporter is asked for', () => {
    expect(loadTracingSettings({}).enabled).toBe(false);
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }).enabled).toBe(false);
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }).enabled).toBe(true);
    expect(loadTracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }).enabled).toBe(true);
    expect(loadTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
  });

  it('is off when told so, whatever the endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(loadTracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
    expect(loadTracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  });

  it('reads the standard sampler settings, and refuses bad ones', () => {
    expect(loadTracingSettings({})).toMatchObject({
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_TRACES_SAMPLER_ARG: 1,
    });
    expect(
      loadTracingSettings({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }),
    ).toMatchObject({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 0.1 });
    expect(() => loadTracingSettings({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(InvalidConfigError);
    expect(() => loadTracingSettings({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
  });
});
