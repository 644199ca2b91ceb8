/** Numeric comparison helpers shared by tests. */

/**
 * Largest absolute difference relative to the largest magnitude of the reference:
 * max|a - b| / max|b|. Returns Infinity when the lengths differ or a value is not finite.
 */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!Number.isFinite(d)) return Infinity;
    diff = Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  if (scale === 0) return diff === 0 ? 0 : Infinity;
  return diff / scale;
}
