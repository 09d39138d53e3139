"""Masking pruned entries, twice per training batch: what each way costs.

PruningCallback writes zeros into the pruned entries of every gradient and every
weight after every batch. This compares, on one thread, the ways to do it:

* ``mul_``: multiply by a 0/1 float mask (leaves ``nan * 0 = nan``);
* ``masked_fill_`` and ``torch.where``: select zeros with a boolean mask;
* ``bitwise_and_``: AND the float's bits with a word that is all ones where kept
  and zero where pruned (the callback's way: exact ``+0.0`` whatever was there).

Every timing is the median of interleaved repeats, in microseconds per call; the
ratio is to ``mul_`` measured in the same run. ``exact zeros`` says whether the
pruned entries are ``0.0`` after masking a tensor with NaN and inf in them.

Usage: python benchmarks/bench_masking.py [--quick] [--repeats 15] [--results PATH]
"""

import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import BenchmarkParser, aim, check, publish

from sklprune.masks import apply_masks, keep_bits

HEADING = "## Masking pruned entries"
SHAPES = [(48, 64), (256, 1024), (512, 4096)]
QUICK_SHAPES = [(48, 64), (128, 512)]
SPARSITIES = (0.5, 0.9)
# The aim: the exact way costs at most this much more than mul_ on the largest
# tensors measured (per-call overhead dominates small ones).
MAX_RATIO = 1.25


def methods(mask, dtype):
    keep = mask.to(dtype)
    pruned = ~mask
    bits = {"t": keep_bits(mask, dtype)}
    zero = torch.zeros((), dtype=dtype)
    return {
        "mul_": lambda t: t.mul_(keep),
        "masked_fill_": lambda t: t.masked_fill_(pruned, 0.0),
        "torch.where": lambda t: torch.where(mask, t, zero, out=t),
        "bitwise_and_": lambda t: apply_masks({"t": t}, {"t": mask}, keep_bits=bits),
    }


def exact_zeros(method, mask, dtype):
    t = torch.full(mask.shape, float("nan"), dtype=dtype)
    t[::2] = float("inf")
    method(t)
    return bool((t[~mask] == 0).all())


def time_call(method, tensor, calls):
    start = time.perf_counter()
    for _ in range(calls):
        method(tensor)
    return (time.perf_counter() - start) / calls


def measure(shapes, repeats, work, dtype=torch.float32):
    rows = []
    for shape in shapes:
        for sparsity in SPARSITIES:
            generator = torch.Generator().manual_seed(0)
            mask = torch.rand(shape, generator=generator) >= sparsity
            tensor = torch.randn(shape, generator=generator, dtype=dtype)
            found = methods(mask, dtype)
            calls = max(5, int(work / tensor.numel()))
            times = {name: [] for name in found}
            for _ in range(repeats):  # interleaved: every method in every repeat
                for name, method in found.items():
                    times[name].append(time_call(method, tensor, calls))
            base = statistics.median(times["mul_"])
            for name, method in found.items():
                median = statistics.median(times[name])
                rows.append(
                    {
                        "shape": f"{shape[0]}x{shape[1]}",
                        "numel": tensor.numel(),
                        "sparsity": sparsity,
                        "method": name,
                        "us": median * 1e6,
                        "ratio": median / base,
                        "exact": exact_zeros(method, mask, dtype),
                    }
                )
    return rows


def table(rows):
    lines = [
        "| shape | sparsity | method | µs per call | vs mul_ | exact zeros |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r['sparsity']:.1f} | {r['method']} | {r['us']:.1f} "
            f"| {r['ratio']:.2f}x | {'yes' if r['exact'] else 'no'} |"
        )
    return "\n".join(lines)


def aims(rows):
    """The computed aims: exact zeros, cost against mul_, fastest exact way."""
    chosen = [r for r in rows if r["method"] == "bitwise_and_"]
    largest = max(r["numel"] for r in rows)
    fastest_exact = {}
    for r in rows:
        if r["exact"] and r["numel"] == largest:
            key = (r["shape"], r["sparsity"])
            if key not in fastest_exact or r["us"] < fastest_exact[key]["us"]:
                fastest_exact[key] = r
    exact = sum(r["exact"] for r in chosen)
    return [
        aim(
            "the callback's masking gives exact zeros where NaN or inf was written",
            check(exact, "==", len(chosen), label="cases with exact zeros:", fmt="{}"),
        ),
        aim(
            f"it costs at most {MAX_RATIO}x a plain mul_ on the largest tensors "
            f"({largest:,} entries)",
            [
                check(
                    r["ratio"],
                    "<=",
                    MAX_RATIO,
                    label=f"{r['shape']} at {r['sparsity']}:",
                    unit="x",
                )
                for r in chosen
                if r["numel"] == largest
            ],
        ),
        aim(
            "it is the fastest way that gives exact zeros on them",
            [
                check(
                    r["method"],
                    "==",
                    "bitwise_and_",
                    label=f"fastest at {shape}, {sparsity}:",
                    fmt="{}",
                    bound_fmt="{}",
                )
                for (shape, sparsity), r in fastest_exact.items()
            ],
        ),
    ]


def main(argv=None):
    """Time every way to mask and publish the section."""
    parser = BenchmarkParser(__file__, __doc__, repeats=(15, 3))
    args = parser.parse_args(argv)
    shapes, work = (QUICK_SHAPES, 2e5) if args.quick else (SHAPES, 2e6)
    rows = measure(shapes, args.repeats, work)
    body = "\n\n".join(
        [
            f"float32, one torch thread, median of {args.repeats} interleaved "
            "repeats; ratio to `mul_` measured in the same run.",
            table(rows),
            "\n".join(aims(rows)),
        ]
    )
    publish(args, HEADING, body)


if __name__ == "__main__":
    main()
