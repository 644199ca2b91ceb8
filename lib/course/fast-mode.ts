/**
 * Helpers for the course notebooks.
 */

/** True in fast mode (ADM_FAST=1, set by `npm test` and `npm start -- --fast`): notebooks use small step counts. */
export function isFast(): boolean {
  return process.env.ADM_FAST === "1";
}

/** Pick the normal value, or the fast one in fast mode: `const steps = fastOr(2000, 200)`. */
export function fastOr<T>(normal: T, fast: T): T {
  return isFast() ? fast : normal;
}
