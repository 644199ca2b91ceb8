"""PyTorch side of bench/train-engine.ts: guided-diffusion's own, unmodified TrainLoop.run_step (hybrid
loss with learned sigma, AdamW, EMA) on the course model fashion-cond, milliseconds per step.

Usage: /usr/bin/python3 bench/train_step_torch.py GUIDED_DIFFUSION_DIR THREADS [BATCH=32] [STEPS=5]
Prints one JSON line: {"threads", "batch", "steps", "ms": [per step], "median_ms", "params"}.

guided-diffusion imports mpi4py and blobfile at module level for multi-node training and cloud
storage; neither takes part in a one-process CPU step, so both are replaced by stand-ins that do
what they would in a single process (rank 0 of 1, local files). The network, the diffusion, the loss,
the optimizer and the EMA are guided-diffusion's code as published.
"""
import json
import os
import sys
import time
import types


def stand_ins():
    mpi = types.ModuleType("mpi4py")

    class Comm:
        rank = 0
        size = 1

        def Get_rank(self):
            return 0

        def bcast(self, value, root=0):
            return value

    mpi.MPI = types.SimpleNamespace(COMM_WORLD=Comm())
    sys.modules["mpi4py"] = mpi
    bf = types.ModuleType("blobfile")
    bf.join, bf.dirname, bf.exists, bf.BlobFile = os.path.join, os.path.dirname, os.path.exists, open
    sys.modules["blobfile"] = bf


def main():
    gd_dir, threads = sys.argv[1], int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    stand_ins()
    sys.path.insert(0, os.path.abspath(gd_dir))
    import torch as th

    th.set_num_threads(threads)
    from guided_diffusion import dist_util
    from guided_diffusion.script_util import create_gaussian_diffusion
    from guided_diffusion.train_util import TrainLoop
    from guided_diffusion.unet import UNetModel

    dist_util.setup_dist()
    th.manual_seed(0)
    # lib/course/model-configs.ts "fashion-cond": ADM at laptop scale, 11 labels (10 classes + null)
    model = UNetModel(
        image_size=32, in_channels=1, model_channels=32, out_channels=2, num_res_blocks=1,
        attention_resolutions=(4,), dropout=0.0, channel_mult=(1, 1, 2), num_classes=11,
        num_heads=1, num_head_channels=32, use_scale_shift_norm=True, resblock_updown=True,
        use_new_attention_order=True,
    )
    diffusion = create_gaussian_diffusion(
        steps=1000, learn_sigma=True, noise_schedule="cosine", rescale_learned_sigmas=True, timestep_respacing="",
    )
    loop = TrainLoop(
        model=model, diffusion=diffusion, data=None, batch_size=batch, microbatch=-1, lr=2e-4, ema_rate="0.999",
        log_interval=10 ** 9, save_interval=10 ** 9, resume_checkpoint="",
    )
    gen = th.Generator().manual_seed(1)
    x = th.rand(batch, 1, 32, 32, generator=gen) * 2 - 1
    cond = {"y": th.randint(0, 11, (batch,), generator=gen)}
    loop.run_step(x, cond)  # warm-up
    ms = []
    for _ in range(steps):
        start = time.perf_counter()
        loop.run_step(x, cond)
        ms.append((time.perf_counter() - start) * 1000)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"threads": threads, "batch": batch, "steps": steps, "ms": ms, "median_ms": sorted(ms)[len(ms) // 2], "params": params}))


if __name__ == "__main__":
    main()
