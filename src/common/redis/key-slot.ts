import calculateSlot from 'cluster-key-slot';

/**
 * The hash slot of a key (CRC16 mod 16,384 of the key, or of its first non-empty `{…}` hash tag),
 * computed by the same package ioredis routes cluster commands with, so keys grouped here go
 * where ioredis sends them. Keys that must meet in one command, script or MULTI need one slot.
 *
 * One edge where that package and Redis differ: an empty `{}` followed later by another `{…}`
 * (`{}{x}`): Redis hashes the whole key, the package the later tag. No key of ours has braces
 * but the single hash tag the rate limiter puts in on purpose.
 */
export function keySlot(key: string): number {
  return calculateSlot(key);
}
