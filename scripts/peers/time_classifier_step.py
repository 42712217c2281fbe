"""Opacus on the DP classifier's step, for `dpgan bench classify-step` to be read beside.

The same CNN (Tramèr & Boneh's end-to-end network, 26 010 parameters), batch 2048 of random
28 × 28 images, 2 threads: the non-private step (forward, mean loss, backward, SGD with
momentum) and Opacus's DP step (GradSampleModule hooks, per-sample clipping to C = 0.1, noise,
the same SGD), interleaved pair by pair as dpgan's benchmark does; prints the medians and the
median of the per-pair ratios as JSON.

    py=$(scripts/peers/setup.sh | tail -1)
    $py scripts/peers/time_classifier_step.py [--repeats 20] [--batch 2048] [--pool default]

The max-pooling runs in the channels-last layout, as dpgan's classifier does (libtorch's CPU
kernel for the default layout is several times slower at stride 1); `--pool default` times the
network as PyTorch users write it.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn
from opacus import GradSampleModule
from opacus.optimizers import DPOptimizer


class ChannelsLastMaxPool(nn.MaxPool2d):
    def forward(self, x):
        return super().forward(x.contiguous(memory_format=torch.channels_last))


def cnn(pool):
    pool = ChannelsLastMaxPool if pool == "channels-last" else nn.MaxPool2d
    return nn.Sequential(
        nn.Conv2d(1, 16, 8, 2, padding=3), nn.Tanh(), pool(2, 1),
        nn.Conv2d(16, 32, 4, 2), nn.Tanh(), pool(2, 1),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 32), nn.Tanh(), nn.Linear(32, 10),
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool", choices=["channels-last", "default"], default="channels-last")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x = torch.rand(args.batch, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 10, (args.batch,))
    loss_fn = nn.CrossEntropyLoss()

    plain = cnn(args.pool)
    plain_opt = torch.optim.SGD(plain.parameters(), lr=4.0, momentum=0.9)
    private = GradSampleModule(cnn(args.pool))
    private_opt = DPOptimizer(
        torch.optim.SGD(private.parameters(), lr=4.0, momentum=0.9),
        noise_multiplier=1.0, max_grad_norm=0.1, expected_batch_size=args.batch,
    )

    def step(model, opt):
        start = time.perf_counter()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
        return time.perf_counter() - start

    a, b, r = [], [], []
    for i in range(args.repeats + 2):
        ta = step(plain, plain_opt)
        tb = step(private, private_opt)
        if i >= 2:
            a.append(ta)
            b.append(tb)
            r.append(tb / ta)
    print(json.dumps({
        "peer": "opacus", "opacus": __import__("opacus").__version__, "torch": torch.__version__,
        "batch": args.batch, "threads": args.threads, "repeats": args.repeats, "pool": args.pool,
        "nonprivate_median_s": statistics.median(a), "dp_median_s": statistics.median(b),
        "dp_over_nonprivate": statistics.median(r),
    }, indent=2))


if __name__ == "__main__":
    main()
