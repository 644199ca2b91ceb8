/**
 * A correct ResizeNearestNeighborGrad for the cpu backend. The stock tfjs-backend-cpu 4.22 kernel
 * reads dy with the batch stride of the *images* tensor (wrong whenever batch > 1) and ignores
 * halfPixelCenters. This one is the exact adjoint of the cpu forward kernel: it sends each dy pixel
 * back to the source pixel the forward pass copied it from.
 */
import * as tf from "@tensorflow/tfjs";

/** The cpu backend's data store and output maker, the only parts of MathBackendCPU used here. */
interface CpuBackend {
  data: { get(dataId: tf.DataId): { values: tf.backend_util.BackendValues } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo;
}

/**
 * Index of the input pixel that output pixel `o` copies in a nearest-neighbour resize from `inSize`
 * to `outSize`, with the same arithmetic as the tfjs forward kernels.
 */
export function nearestSource(o: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const corners = alignCorners && outSize > 1;
  const ratio = (corners ? inSize - 1 : inSize) / (corners ? outSize - 1 : outSize);
  const frac = halfPixelCenters ? ratio * (o + 0.5) : ratio * o;
  const i = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  return halfPixelCenters ? Math.max(0, i) : i;
}

/** Kernel function for `ResizeNearestNeighborGrad` on cpu (inputs images, dy). */
export function resizeNearestNeighborGradCpu(args: {
  inputs: Record<"images" | "dy", tf.TensorInfo>;
  backend: CpuBackend;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { inputs, backend, attrs } = args;
  const { images, dy } = inputs;
  const alignCorners = Boolean(attrs?.alignCorners);
  const halfPixelCenters = Boolean(attrs?.halfPixelCenters);
  const [batch, inH, inW, depth] = images.shape;
  const [, outH, outW] = dy.shape;
  const dyValues = backend.data.get(dy.dataId).values as Float32Array;
  const dx = new Float32Array(batch * inH * inW * depth);
  const srcCol = Array.from({ length: outW }, (_, c) => nearestSource(c, inW, outW, alignCorners, halfPixelCenters));
  let k = 0;
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < outH; r++) {
      const row = b * inH + nearestSource(r, inH, outH, alignCorners, halfPixelCenters);
      for (let c = 0; c < outW; c++) {
        const base = (row * inW + srcCol[c]) * depth;
        for (let d = 0; d < depth; d++) dx[base + d] += dyValues[k++];
      }
    }
  }
  return backend.makeTensorInfo([batch, inH, inW, depth], "float32", dx);
}

export const resizeNearestNeighborGradCpuConfig: tf.KernelConfig = {
  kernelName: "ResizeNearestNeighborGrad",
  backendName: "cpu",
  kernelFunc: resizeNearestNeighborGradCpu as unknown as tf.KernelFunc,
};
