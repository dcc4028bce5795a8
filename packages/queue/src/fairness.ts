/**
 * Fairness between owners on a shared queue, with open-source BullMQ only (its Groups are a Pro
 * feature). Every job of an owner enters with a priority equal to its place in its owner's line:
 * 1 + the jobs of that kind the owner already has open (queued or running). Workers fetch the
 * lowest priority number first, first-in-first-out within one number, so owners take turns: an
 * owner's 1st job, then every other owner's 1st, then everyone's 2nd, …
 *
 * The bound: at any moment an owner has at most p open jobs at priority ≤ p (a new job's place is
 * above every job the owner has open), so an owner with nothing else open, whose job gets 1, waits
 * for at most the jobs already running (replicas × concurrency; never preempted) plus one job per
 * other owner. An owner's thousand queued jobs cost another owner one slot, not a thousand.
 */

/** BullMQ's largest priority number (its lowest priority): 2^21. */
export const LOWEST_PRIORITY = 2 ** 21;

/** A job's BullMQ priority from its place in its owner's line (1 = the owner's only open job). */
export function fairPriority(place: number): number {
  if (!Number.isInteger(place) || place < 1) {
    throw new RangeError(`a place in an owner's line is an integer ≥ 1, got ${place}`);
  }
  // An owner with two million open jobs shares the last number with anyone else that far back.
  return Math.min(place, LOWEST_PRIORITY);
}
