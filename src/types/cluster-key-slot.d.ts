// cluster-key-slot 1.1.1 (the version ioredis pins) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key. */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
