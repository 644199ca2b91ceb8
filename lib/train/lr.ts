/**
 * Learning-rate schedule: linear warm-up from 0 to `lr` over `warmup` steps, then constant (ADM
 * trains at a constant rate; its anneal option decays linearly to 0 at `decaySteps` when given).
 */
export interface LrSchedule {
  lr: number;
  warmup?: number;
  decaySteps?: number;
}

/** The learning rate for (0-based) step `step`. */
export function learningRate(s: LrSchedule, step: number): number {
  const warm = s.warmup && s.warmup > 0 ? Math.min(1, (step + 1) / s.warmup) : 1;
  const decay = s.decaySteps && s.decaySteps > 0 ? Math.max(0, 1 - step / s.decaySteps) : 1;
  return s.lr * warm * decay;
}
