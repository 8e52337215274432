"""Command line: ``python -m course_utils fetch all`` downloads the datasets ahead of class.

    python -m course_utils fetch all            # mnist, fashion_mnist and cifar10
    python -m course_utils fetch mnist cifar10
    python -m course_utils where                # where each dataset would be loaded from
"""

from __future__ import annotations

import argparse
import sys

from . import data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch", help="download datasets into the Keras cache")
    fetch.add_argument("names", nargs="+", help=f"'all' or any of {', '.join(data.DATASETS)}")
    sub.add_parser("where", help="say where each dataset would be loaded from")
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            names = list(data.DATASETS) if args.names == ["all"] else args.names
            data.fetch(names)
        else:
            data.describe_sources()
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
