import type { Redis } from '@repo/queue';
import { LRUCache } from 'lru-cache';

/**
 * Takes up to `want` requests of a window from the shared counter: one INCRBY, never past `max`.
 * A counter at or over `max` is left alone and answers a grant of 0 (the window is spent). The
 * window starts with the first grant (PEXPIRE), as @fastify/rate-limit's own Redis store starts it
 * with the first request, so replicas of the previous release count in the same keys meanwhile.
 * Returns [counter after the grant, requests granted, ms left in the window].
 */
const LEASE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local want = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local grant = math.max(0, math.min(want, max - current))
if grant > 0 then current = redis.call('INCRBY', KEYS[1], grant) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 and current > 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  ttl = window
end
return {current, grant, math.max(ttl, 0)}
`;

type LeaseReply = [counter: number, granted: number, ttlMs: number];
type LeaseCommand = (key: string, want: number, windowMs: number, max: number) => Promise<LeaseReply>;

/** What @fastify/rate-limit expects of a store's `incr` answer. */
interface Count {
  current: number;
  ttl: number;
}
type Callback = (error: Error | null, count?: Count) => void;

/** One caller's window as this replica sees it. */
interface Window {
  endsAt: number;
  /** Requests leased from the shared counter and not yet spent here. */
  left: number;
  /** The shared counter right after this replica's last lease (leases of other replicas included). */
  counter: number;
  /** The counter said the window is spent: refuse here until it ends, without asking Redis. */
  spent: boolean;
  waiting: Array<{ callback: Callback; max: number }>;
  leasing: boolean;
}

export interface LeasedStoreOptions {
  redis: Redis;
  /** Keys are `<nameSpace><caller>`, the counters @fastify/rate-limit's Redis store keeps. */
  nameSpace: string;
  /**
   * A lease is at most this fraction of what is left of a window: with R replicas, the requests
   * leased but never spent when a caller stops (or moves to another replica) are at most
   * R × left ÷ divisor. 32 keeps them under 10 % of the limit with 3 replicas.
   */
  leaseDivisor?: number;
  /** Callers remembered per replica (least recently seen forgotten first; their leases lapse). */
  maxCallers?: number;
  /** Told of every lease this store asks Redis for, with the requests it asks for. */
  onLease?: (want: number) => void;
}

const COMMAND = 'rateLimitLease';

/**
 * A @fastify/rate-limit store whose budget is shared by every replica through Redis, without a
 * Redis round trip per request.
 *
 * The default Redis store sends a script per request. This one leases several requests at once
 * from the same counter, sized by what is left of the window, and spends them here: a caller far
 * from its limit costs one Redis call per dozens of requests; near the limit the leases shrink to
 * one request each, so the limit stays exact where it matters. It never admits more than `max` per
 * window over all replicas (the counter is reserved before a request is admitted); what it can
 * lose is the unspent part of leases held by replicas the caller stopped calling, bounded by
 * `leaseDivisor`. A spent window is refused locally until it ends: a flood of over-limit requests
 * costs Redis nothing.
 */
export class LeasedRedisStore {
  private readonly lease: LeaseCommand;
  private readonly windows: LRUCache<string, Window>;
  private readonly divisor: number;
  private readonly options: LeasedStoreOptions;

  constructor(options: LeasedStoreOptions) {
    this.options = options;
    const redis = options.redis as Redis & Record<typeof COMMAND, LeaseCommand | undefined>;
    if (!redis[COMMAND]) redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.lease = (...args) => redis[COMMAND]!(...args);
    this.divisor = options.leaseDivisor ?? 32;
    this.windows = new LRUCache({ max: options.maxCallers ?? 100_000 });
  }

  incr(caller: string, callback: Callback, windowMs: number, max: number): void {
    const now = Date.now();
    let window = this.windows.get(caller);
    if (window && now >= window.endsAt && !window.leasing) window = undefined;
    if (!window) {
      window = { endsAt: now + windowMs, left: 0, counter: 0, spent: false, waiting: [], leasing: false };
      this.windows.set(caller, window);
    }
    const count = take(window, max, now);
    if (count) return callback(null, count);
    window.waiting.push({ callback, max });
    if (!window.leasing) this.renew(caller, window, windowMs, max);
  }

  /**
   * @fastify/rate-limit asks a child store for a route with a rate limit of its own; its counters
   * are apart, named by the route as the library's Redis store names them. (Its types omit the
   * `routeInfo` it passes.)
   */
  child(routeOptions: object): LeasedRedisStore {
    const { method, url } = (routeOptions as { routeInfo: { method: string; url: string } }).routeInfo;
    return new LeasedRedisStore({ ...this.options, nameSpace: `${this.options.nameSpace}${method}${url}-` });
  }

  /** Leases enough for every waiting request, or a share of what is left, whichever is more. */
  private renew(caller: string, window: Window, windowMs: number, max: number): void {
    const share = Math.floor((max - window.counter) / this.divisor);
    const want = Math.max(1, window.waiting.length, share);
    window.leasing = true;
    this.options.onLease?.(want);
    this.lease(`${this.options.nameSpace}${caller}`, want, windowMs, max).then(
      ([counter, granted, ttl]) => {
        window.leasing = false;
        window.endsAt = Date.now() + ttl;
        window.counter = counter;
        window.left += granted;
        if (granted === 0) window.spent = true;
        this.serve(caller, window, windowMs);
      },
      (error: unknown) => {
        window.leasing = false;
        const waiting = window.waiting.splice(0);
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const { callback } of waiting) callback(failure);
      },
    );
  }

  private serve(caller: string, window: Window, windowMs: number): void {
    const now = Date.now();
    for (let first = window.waiting[0]; first; first = window.waiting[0]) {
      const count = take(window, first.max, now);
      if (!count) break;
      window.waiting.shift();
      first.callback(null, count);
    }
    // Requests that arrived while the lease was on its way, more than it brought: lease again.
    const next = window.waiting[0];
    if (next) this.renew(caller, window, windowMs, next.max);
  }
}

/**
 * A request answered from what this replica holds: refused while the window is spent, else one of
 * its leased requests; undefined when it holds none (a lease must be asked for).
 */
function take(window: Window, max: number, now: number): Count | undefined {
  if (window.spent) return { current: max + 1, ttl: window.endsAt - now };
  if (window.left === 0) return undefined;
  window.left -= 1;
  return { current: window.counter - window.left, ttl: window.endsAt - now };
}
