import { ReplicaRouter } from './replica-router.js';
import { initialReplicaState, type ReplicaState } from './replica-state.js';

const replica = (name: string, state: Partial<ReplicaState> = {}): ReplicaState => ({
  ...initialReplicaState(name),
  inRotation: true,
  reachable: true,
  replayLsn: 100n,
  freshUntil: performance.now() + 60_000,
  ...state,
});

describe('ReplicaRouter', () => {
  it('round-robins over the replicas in rotation, those that have replayed what a read needs', () => {
    const router = new ReplicaRouter([replica('a'), replica('b', { replayLsn: 50n })]);
    expect([router.pick(), router.pick(), router.pick()].map((route) => route.replica)).toEqual([0, 1, 0]);
    expect(router.pick(80n)).toEqual({ replica: 0, decision: 'replica' });
    expect(router.pick(200n)).toEqual({ decision: 'token-forced' });
  });

  it('stops using a replica the moment its lease runs out, not at the next probe', () => {
    const states = [replica('a', { freshUntil: performance.now() - 1 }), replica('b')];
    const router = new ReplicaRouter(states);
    expect([router.pick(), router.pick()].map((route) => route.replica)).toEqual([1, 1]);
    states[1].freshUntil = performance.now() - 1;
    expect(router.pick()).toEqual({ decision: 'primary-fallback' });
  });

  it('while the primary is unreachable, sends a read to any replica that answers and has what it needs', () => {
    const primary = { reachable: false };
    const stale = performance.now() - 1;
    const states = [
      replica('a', { freshUntil: stale, inRotation: false, replayLsn: 90n }),
      replica('b', { freshUntil: stale, reachable: false }),
    ];
    const router = new ReplicaRouter(states, primary);
    expect(router.pick()).toEqual({ replica: 0, decision: 'primary-away' });
    expect(router.pick(95n)).toEqual({ decision: 'primary-fallback' });
    primary.reachable = true;
    expect(router.pick()).toEqual({ decision: 'primary-fallback' });
  });
});
