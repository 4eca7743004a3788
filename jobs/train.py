"""Train a small 3D UNet on streamed patches: `python -m jobs.train URI --classes liver,spleen ...`.

    python -m jobs.train ./data/ct64 --classes liver,spleen --steps 500 --out runs/unet
    python -m jobs.train ./data/ct64 --classes liver,spleen --steps 1000 --out runs/unet --resume

The example to copy. Every `--val-every`-th study (by index) is held out; the rest stream as
label-balanced patches through a StreamLoader. A checkpoint (weights, optimiser, RNG, and the
loader's place in its epoch) is saved every `--save-every` steps and at the end; `--resume` picks up
from it mid-epoch with exactly the batches an uninterrupted run would have seen. At the end, Dice
per class on the held-out studies (sliding-window inference over whole volumes) goes to
`metrics.json` beside the checkpoint.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from monai.metrics import DiceMetric
from monai.networks.utils import one_hot

from jobs.cli import add_storage_options, number, out_folder, parse, run, storage_options, whole, wholes
from pipeline import segmentation
from pipeline.errors import ConfigError
from pipeline.stream import StreamLoader, StudyStream

INTERRUPTED = "interrupted: OUT/checkpoint.pt holds the last saved step; rerun with --resume to go on"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m jobs.train", description=__doc__.splitlines()[0])
    p.add_argument("uri")
    p.add_argument("--classes", required=True, help="comma-separated label names to segment (as in dataset.json)")
    p.add_argument("--where", default=None, help="SQL WHERE selecting the studies to use")
    p.add_argument("--patch", type=wholes(3, 3, 8, 512), default=(96, 96, 96), help="patch size z,y,x")
    p.add_argument("--steps", type=whole(1, 10**8), default=200)
    p.add_argument("--batch-size", type=whole(1, 4096), default=2)
    p.add_argument("--workers", type=whole(0, 256), default=2)
    p.add_argument("--lr", type=number(1e-12, 10.0), default=1e-3)
    p.add_argument(
        "--channels", type=wholes(2, 8, 1, 1024), default=segmentation.CHANNELS, help="UNet channels per level"
    )
    p.add_argument("--val-every", type=whole(2, 10**6), default=5, help="hold out every N-th study (index %% N == 0)")
    p.add_argument("--save-every", type=whole(1, 10**8), default=50)
    p.add_argument("--seed", type=whole(0, 2**63 - 1), default=0)
    p.add_argument("--out", default="runs/unet")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    add_storage_options(p)
    return parse(p, argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    classes = tuple(c.strip().replace("_", " ") for c in args.classes.split(",") if c.strip())
    options = storage_options(args.storage_option)
    out = out_folder(args.out, args.uri)
    checkpoint = out / "checkpoint.pt"
    if args.resume and not checkpoint.is_file():
        raise ConfigError(f"--resume: no checkpoint at {checkpoint}; drop --resume to start afresh")
    segmentation.check_patch(args.patch, args.channels)
    torch.manual_seed(args.seed)
    stream = StudyStream(
        args.uri,
        where=(args.where or "", f"index % {args.val_every} <> 0"),
        patch_size=args.patch,
        patches_per_study=4,
        sampling="balanced",
        pos_labels=classes,
        classes=classes,
        seed=args.seed,
        storage_options=options,
    )
    loader = StreamLoader(stream, batch_size=args.batch_size, num_workers=args.workers)
    model = segmentation.build(len(classes), args.channels)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    state = segmentation.new_state()
    if args.resume:
        state = resume(checkpoint, model, optimizer, loader)

    def after_step(state: dict) -> None:
        print(f"step {state['step']:5d}  epoch {state['epoch']}  loss {state['losses'][-1]:.4f}", flush=True)
        if state["step"] % args.save_every == 0 or state["step"] == args.steps:
            save(checkpoint, model, optimizer, loader, state)

    segmentation.fit(model, optimizer, loader, stream, state, args.steps, torch.device("cpu"), after_step)
    held_out = (args.where or "", f"index % {args.val_every} = 0")
    dice = evaluate(model, args.uri, held_out, classes, args.patch, options)
    metrics = {"steps": state["step"], "final_loss": state["losses"][-1] if state["losses"] else None, "dice": dice}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics))
    return 0


def save(path: Path, model, optimizer, loader: StreamLoader, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "loader": loader.state_dict(),
            "rng": torch.get_rng_state(),
            **state,
        },
        tmp,
    )
    tmp.replace(path)


def resume(path: Path, model, optimizer, loader: StreamLoader) -> dict:
    saved = torch.load(path, weights_only=True)
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    loader.load_state_dict(saved["loader"])
    torch.set_rng_state(saved["rng"])
    print(f"resumed at step {saved['step']} (epoch {saved['epoch']}, sample {saved['loader']['samples']})")
    return {"step": saved["step"], "epoch": saved["epoch"], "losses": saved["losses"]}


@torch.no_grad()
def evaluate(
    model, uri: str, where: tuple[str, ...], classes: tuple[str, ...], patch: tuple[int, ...], options: dict
) -> dict:
    """Dice per class over the held-out studies' whole volumes."""
    metric = DiceMetric(include_background=False, reduction="mean_batch", ignore_empty=True)
    for sample in StudyStream(uri, where=where, classes=classes, shuffle=False, storage_options=options):
        predicted = segmentation.predict(model, sample["image"], patch, torch.device("cpu"))
        prediction = one_hot(predicted[None, None], len(classes) + 1)
        metric(prediction, one_hot(sample["label"][None], len(classes) + 1))
    scores = metric.aggregate().tolist() if metric.get_buffer() is not None else [float("nan")] * len(classes)
    return {name: round(float(score), 4) for name, score in zip(classes, scores, strict=True)}


if __name__ == "__main__":
    sys.exit(run(main, interrupted=INTERRUPTED))
