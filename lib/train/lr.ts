/**
 * Learning-rate schedule: linear warm-up from 0 to `lr` over `warmup` steps, then constant, as ADM
 * trains. ADM's lr_anneal_steps option decays linearly to 0 at `decaySteps`; `decayFrom` starts that
 * decay later (a run that was at a constant rate until then, and was annealed when resumed).
 */
export interface LrSchedule {
  lr: number;
  warmup?: number;
  decaySteps?: number;
  /** the step the linear decay starts from (default 0: ADM's lr * (1 - step / decaySteps)) */
  decayFrom?: number;
}

/** The learning rate for (0-based) step `step`. */
export function learningRate(s: LrSchedule, step: number): number {
  const warm = s.warmup && s.warmup > 0 ? Math.min(1, (step + 1) / s.warmup) : 1;
  const from = s.decayFrom ?? 0;
  const decay = s.decaySteps && s.decaySteps > 0 && step >= from ? Math.max(0, (s.decaySteps - step) / (s.decaySteps - from)) : 1;
  return s.lr * warm * decay;
}
