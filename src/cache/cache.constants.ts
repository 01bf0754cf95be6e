export const CACHEABLE = 'CACHE:CACHEABLE';
export const CACHE_EVICT = 'CACHE:EVICT';
export const CACHE_STATUS_HEADER = 'x-cache';
