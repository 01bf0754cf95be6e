import { register, type Metric } from 'prom-client';

/**
 * The process-wide registry (the one `@willsoto/nestjs-prometheus` serves), with families owned
 * by one application instance: registering a name again replaces it (a second app in the same
 * process, as in tests, reads its own services), and an app removes its own families on close.
 */
export class OwnedMetrics {
  private readonly owned: Metric[] = [];

  add<M extends Metric>(create: () => M, name: string): M {
    register.removeSingleMetric(name);
    const metric = create();
    this.owned.push(metric);
    return metric;
  }

  release(): void {
    for (const metric of this.owned) {
      const name = (metric as unknown as { name: string }).name;
      if (register.getSingleMetric(name) === metric) register.removeSingleMetric(name);
    }
    this.owned.length = 0;
  }
}
