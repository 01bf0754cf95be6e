import { z } from 'zod';
import { int32, isoDateTime, responseContract } from '../common/openapi/contract.js';

export const dashboardSchema = responseContract(
  'Dashboard',
  z.object({
    from: isoDateTime.describe('Start of the range (inclusive), rounded down to the hour'),
    to: isoDateTime.describe('End of the range (exclusive), rounded up to the hour'),
    revenueCents: z.int(),
    orderCount: z.int(),
    averageOrderCents: z.int(),
    topProducts: z
      .array(z.object({ productId: int32, name: z.string(), units: z.int(), revenueCents: z.int() }))
      .max(10),
    daily: z.array(z.object({ day: z.iso.date(), orderCount: z.int(), revenueCents: z.int() })),
  }),
  'Cancelled orders never count.',
);

export type Dashboard = z.infer<typeof dashboardSchema>;
