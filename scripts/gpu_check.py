"""The GPU check (``make gpu-check``): each training notebook's networks, a few real steps each, per profile.

Run it on a machine with a GPU: for the ``gpu`` and ``full`` profiles it builds every network those
notebooks train (``course_utils.device_check``), times ``--steps`` training steps at the profile's batch
size with the session's precision, and records step time, images/s and peak device memory in
``results/<profile>/benchmarks/gpu_check.json``. Without a GPU it stops, unless ``--allow-cpu``.

    python scripts/gpu_check.py                      # gpu and full, 20 steps each
    python scripts/gpu_check.py --profiles gpu --steps 5 --notebooks 06_lenet5 11_inception
"""

from __future__ import annotations

import argparse
import sys

import course_utils
from course_utils import device_check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", nargs="+", default=["gpu", "full"], help="profiles to check (default: gpu full)")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per network (default 20)")
    parser.add_argument("--notebooks", nargs="+", default=list(device_check.TRAINING_NOTEBOOKS),
                        help="training notebooks to check (default: all)")
    parser.add_argument("--batch-size", type=int, default=None, help="override every profile's batch size")
    parser.add_argument("--allow-cpu", action="store_true", help="run even when TensorFlow sees no GPU (slow)")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")
    unknown = sorted(set(args.notebooks) - set(device_check.TRAINING_NOTEBOOKS))
    if unknown:
        parser.error(f"not training notebooks: {', '.join(unknown)}; choose from {', '.join(device_check.TRAINING_NOTEBOOKS)}")
    if device_check.device_name() == "CPU" and not args.allow_cpu:
        print("gpu-check: TensorFlow sees no GPU here, so there is nothing to check; run it on a machine with a GPU "
              "(the GPU build of TensorFlow: README, GPU), or pass --allow-cpu to run the same steps on this CPU",
              file=sys.stderr)
        return 2
    for profile in args.profiles:
        course_utils.setup(profile=profile)
        print(f"gpu-check: {profile} profile on {device_check.device_name()}, {args.steps} steps per network")
        device_check.check_networks(profile, args.steps, args.notebooks, args.batch_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
