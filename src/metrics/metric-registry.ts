import {
  Counter,
  Gauge,
  Histogram,
  register,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
  type Metric,
} from 'prom-client';

/**
 * The process-wide registry (the one `@willsoto/nestjs-prometheus` serves), with families owned
 * by one application instance: registering a name again replaces it (a second app in the same
 * process, as in tests, reads its own services), and an app removes its own families on close.
 */
export class OwnedMetrics {
  private readonly owned: { name: string; metric: Metric }[] = [];

  counter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
    return this.own(config.name, () => new Counter(config));
  }

  gauge<T extends string>(config: GaugeConfiguration<T>): Gauge<T> {
    return this.own(config.name, () => new Gauge(config));
  }

  histogram<T extends string>(config: HistogramConfiguration<T>): Histogram<T> {
    return this.own(config.name, () => new Histogram(config));
  }

  release(): void {
    for (const { name, metric } of this.owned)
      if (register.getSingleMetric(name) === metric) register.removeSingleMetric(name);
    this.owned.length = 0;
  }

  private own<M extends Metric>(name: string, create: () => M): M {
    register.removeSingleMetric(name);
    const metric = create();
    this.owned.push({ name, metric });
    return metric;
  }
}
