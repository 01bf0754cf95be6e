import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/index.js';
import { ProductsService } from './products.service.js';

/** Warms the cache with the hottest products after start, in the background. */
@Injectable()
export class ProductsWarmer implements OnApplicationBootstrap {
  private readonly logger = new Logger('ProductsWarmer');

  constructor(
    private readonly products: ProductsService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const limit = this.config.CACHE_WARM_TOP_PRODUCTS;
    if (!limit || !this.config.CACHE_ENABLED) return;
    const started = Date.now();
    void this.products.warmTopProducts(limit).then(
      (warmed) =>
        warmed !== undefined &&
        this.logger.log(`warmed ${warmed} of the ${limit} most-ordered products in ${Date.now() - started} ms`),
      (error: Error) => this.logger.warn(`warming failed: ${error.message}`),
    );
  }
}
