import { Logger } from '@nestjs/common';
import type { RoutingDecision } from '../database-stats.js';
import type { Lsn } from '../../common/lsn.js';
import type { ReplicaState } from './replica-state.js';

export interface Route {
  /** Index of the chosen replica, or `undefined` for the primary. */
  replica?: number;
  decision: RoutingDecision;
}

/**
 * Round-robin over the replicas in rotation, fresh enough now, that have replayed far enough. While
 * the primary is unreachable, a read none of them can take goes to any replica that answers and has
 * replayed what the read needs, fresh or not: the primary could not serve it at all.
 */
export class ReplicaRouter {
  private readonly logger = new Logger('Database:routing');
  private next = 0;
  private allOut = false;

  constructor(
    private readonly states: readonly ReplicaState[],
    private readonly primary: { readonly reachable: boolean } = { reachable: true },
  ) {}

  pick(minLsn?: Lsn, exclude?: number): Route {
    if (this.states.length === 0) return { decision: 'no-replicas' };
    const count = this.states.length;
    let anyInRotation = false;
    const now = performance.now();
    for (let step = 0; step < count; step++) {
      const index = (this.next + step) % count;
      const state = this.states[index];
      if (!state.inRotation || now >= state.freshUntil || index === exclude) continue;
      anyInRotation = true;
      if (minLsn !== undefined && (state.replayLsn === null || state.replayLsn < minLsn)) continue;
      this.next = (index + 1) % count;
      this.noteAllOut(false);
      return { replica: index, decision: 'replica' };
    }
    if (!this.primary.reachable) {
      const away = this.anyReachable(minLsn, exclude);
      if (away !== undefined) return { replica: away, decision: 'primary-away' };
    }
    this.noteAllOut(!anyInRotation && exclude === undefined);
    return { decision: anyInRotation ? 'token-forced' : 'primary-fallback' };
  }

  private anyReachable(minLsn: Lsn | undefined, exclude: number | undefined): number | undefined {
    const count = this.states.length;
    for (let step = 0; step < count; step++) {
      const index = (this.next + step) % count;
      const state = this.states[index];
      if (!state.reachable || index === exclude) continue;
      if (minLsn !== undefined && (state.replayLsn === null || state.replayLsn < minLsn)) continue;
      this.next = (index + 1) % count;
      return index;
    }
    return undefined;
  }

  private noteAllOut(allOut: boolean): void {
    if (allOut === this.allOut) return;
    this.allOut = allOut;
    if (allOut) this.logger.warn('no replica is in rotation: reads go to the primary');
    else this.logger.log('replicas are back: reads go to replicas again');
  }
}
