"""The PyTorch column of the benchmark: one cell, timed on guided-diffusion's own, unmodified code.

Usage (bench/index.ts calls it): /usr/bin/python3 bench/pytorch_rows.py '{"spec": ..., "threads": N,
  "guidedDiffusion": DIR, "unetKwargs": {...}, "classifierKwargs": {...} | null, "diffusionKwargs": {...}}'

The networks are guided_diffusion.unet.UNetModel and EncoderUNetModel built with the constructor
arguments bench/rows.ts derives from our configs (float32, random weights: speed does not depend on
the values), sampling is GaussianDiffusion.ddim_sample_loop on create_gaussian_diffusion's respaced
diffusion, and cond_fn and model_fn are those of scripts/classifier_sample.py. Timed like
bench/cell.ts: one warm-up call of each network, then the work; prints
`RESULT {"seconds", "loadSeconds", "peakMB", "torch"}`.
"""
import json
import os
import resource
import sys
import time

import torch as th
import torch.nn.functional as F


def main():
    inp = json.loads(sys.argv[1])
    spec = inp["spec"]
    sys.path.insert(0, os.path.abspath(inp["guidedDiffusion"]))
    from guided_diffusion import script_util, unet

    th.set_num_threads(inp["threads"])
    th.manual_seed(0)
    start = time.time()
    model = unet.UNetModel(**inp["unetKwargs"]).eval()
    classifier = unet.EncoderUNetModel(**inp["classifierKwargs"]).eval() if inp["classifierKwargs"] else None
    load_seconds = time.time() - start
    class_cond = inp["unetKwargs"]["num_classes"] is not None

    def model_fn(x, t, y=None):
        return model(x, t, y if class_cond else None)

    def cond_fn(x, t, y=None):
        with th.enable_grad():
            x_in = x.detach().requires_grad_(True)
            logits = classifier(x_in, t)
            log_probs = F.log_softmax(logits, dim=-1)
            selected = log_probs[range(len(logits)), y.view(-1)]
            return th.autograd.grad(selected.sum(), x_in)[0] * spec["scale"]

    n, size, channels = spec["n"], spec["unet"]["imageSize"], spec["unet"]["inChannels"]
    shape = (n, channels, size, size)
    x = th.randn(*shape)
    t = th.full((n,), 500, dtype=th.long)
    y = th.arange(n) % 10
    with th.no_grad():
        model_fn(x, t, y)
    if classifier is not None:
        cond_fn(x, t, y)
    if spec["kind"] == "forward":
        times = []
        with th.no_grad():
            for _ in range(spec["repeats"]):
                start = time.time()
                model_fn(x, t, y)
                times.append(time.time() - start)
        seconds = sorted(times)[len(times) // 2]
    else:
        diffusion = script_util.create_gaussian_diffusion(**inp["diffusionKwargs"], timestep_respacing=f"ddim{spec['steps']}")
        start = time.time()
        diffusion.ddim_sample_loop(model_fn, shape, clip_denoised=True, model_kwargs={"y": y}, cond_fn=cond_fn if classifier is not None else None, device=th.device("cpu"))
        seconds = (time.time() - start) / (spec["steps"] if spec["kind"] == "guided-step" else 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps({"seconds": seconds, "loadSeconds": load_seconds, "peakMB": round(peak), "torch": th.__version__}))


if __name__ == "__main__":
    main()
