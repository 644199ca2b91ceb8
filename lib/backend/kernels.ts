/**
 * Kernels that tfjs-backend-wasm 4.22 lacks or runs slowly, and a fix for a wrong cpu kernel.
 * Being written: see issue "Foundation".
 */
export function registerWasmKernels(): void {}
export function fixCpuKernels(): void {}
