import type { Lsn } from '../../common/lsn.js';

/** What the monitor knows of one replica; the router reads it on every pick. */
export interface ReplicaState {
  readonly name: string;
  /** In the rotation: healthy, close enough, not slow. */
  inRotation: boolean;
  /** Its last probe (or query) reached it, and it is a replica: it can serve if nothing better can. */
  reachable: boolean;
  /** Why it is out, for logs and the readiness report. */
  reason: string;
  replayLsn: Lsn | null;
  lagBytes: number;
  /** At most this far behind, when probed: the age of the newest primary position it had replayed. */
  lagSeconds: number;
  /**
   * Until when (`performance.now()`) it may serve: the newest primary position it has replayed was
   * read at `freshUntil - maxLagMs`, so every write acknowledged before then is visible on it. The
   * router checks it on every pick, so a replica stops serving at that moment, not at a later probe.
   */
  freshUntil: number;
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
    reachable: false,
    reason: 'not probed yet',
    replayLsn: null,
    lagBytes: 0,
    lagSeconds: 0,
    freshUntil: 0,
    probeLatencyMs: 0,
    queryLatencyMs: 0,
    querySamples: 0,
    goodProbes: 0,
    lastProbeAt: 0,
  };
}
