import type { Lsn } from '../../common/lsn.js';

/** What the monitor knows of one replica; the router reads it on every pick. */
export interface ReplicaState {
  readonly name: string;
  /** In the rotation: healthy, close enough, not slow. */
  inRotation: boolean;
  /** Why it is out, for logs and the readiness report. */
  reason: string;
  replayLsn: Lsn | null;
  lagBytes: number;
  lagSeconds: number;
  probeLatencyMs: number;
  /** Exponentially weighted query latency, fed by the query observer. */
  queryLatencyMs: number;
  /** Queries behind `queryLatencyMs`; too few and it is not compared. */
  querySamples: number;
  /** Good probes since it last failed; it rejoins at `rejoinAfter`. */
  goodProbes: number;
  lastProbeAt: number;
}

export function initialReplicaState(name: string): ReplicaState {
  return {
    name,
    inRotation: false,
    reason: 'not probed yet',
    replayLsn: null,
    lagBytes: 0,
    lagSeconds: 0,
    probeLatencyMs: 0,
    queryLatencyMs: 0,
    querySamples: 0,
    goodProbes: 0,
    lastProbeAt: 0,
  };
}
