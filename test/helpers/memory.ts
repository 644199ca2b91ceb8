/**
 * How far a call raises the process's peak resident memory (getrusage's maxrss), in MiB. A loader
 * that believed a lying header would touch gigabytes; one that checks first stays within a few MiB.
 * The peak never falls, so a call below an earlier peak reads 0: use it as an upper bound.
 */
export function peakGrowthMiB(fn: () => void): number {
  const before = process.resourceUsage().maxRSS;
  fn();
  return (process.resourceUsage().maxRSS - before) / 1024;
}

/** The error `fn` throws (fails when it returns). */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a throw, got a return");
}
