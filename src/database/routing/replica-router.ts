import { Logger } from '@nestjs/common';
import type { RoutingDecision } from '../database-stats.js';
import type { Lsn } from '../../common/lsn.js';
import type { ReplicaState } from './replica-state.js';

export interface Route {
  /** Index of the chosen replica, or `undefined` for the primary. */
  replica?: number;
  decision: RoutingDecision;
}

/** Round-robin over the replicas in rotation that have replayed far enough. */
export class ReplicaRouter {
  private readonly logger = new Logger('Database:routing');
  private next = 0;
  private allOut = false;

  constructor(private readonly states: readonly ReplicaState[]) {}

  pick(minLsn?: Lsn, exclude?: number): Route {
    if (this.states.length === 0) return { decision: 'no-replicas' };
    const count = this.states.length;
    let anyInRotation = false;
    for (let step = 0; step < count; step++) {
      const index = (this.next + step) % count;
      const state = this.states[index];
      if (!state.inRotation || index === exclude) continue;
      anyInRotation = true;
      if (minLsn !== undefined && (state.replayLsn === null || state.replayLsn < minLsn)) continue;
      this.next = (index + 1) % count;
      this.noteAllOut(false);
      return { replica: index, decision: 'replica' };
    }
    this.noteAllOut(!anyInRotation && exclude === undefined);
    return { decision: anyInRotation ? 'token-forced' : 'primary-fallback' };
  }

  private noteAllOut(allOut: boolean): void {
    if (allOut === this.allOut) return;
    this.allOut = allOut;
    if (allOut) this.logger.warn('no replica is in rotation: reads go to the primary');
    else this.logger.log('replicas are back: reads go to replicas again');
  }
}
