export { DeadlineExceeded, withDeadline } from '../deadline.js';
export { keySlot } from './key-slot.js';
export { groupBySlot, mgetBuffers, transactBySlot, unlinkKeys, type KeyedWrite } from './multi-key.js';
export {
  createFailFastClient,
  createRedisClient,
  createSubscriberClient,
  FAIL_FAST,
  isCluster,
  masterNodes,
  type RedisClient,
  type RedisClientOptions,
  type RedisConnectionOptions,
  type RedisScript,
  whenReady,
} from './redis-client.factory.js';
