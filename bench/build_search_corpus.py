"""Build the search benchmark corpus from code already on this machine (nothing is downloaded).

Files come from the Python installation's standard library and the installed packages, in a
fixed pseudo-random order, until the corpus holds the wanted number of files. Only files the
search engine would index are copied, so ripgrep and the engine look at the same set.

    .venv/bin/python bench/build_search_corpus.py [--out bench/.corpus] [--files 10000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import sysconfig
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.search.files import EXTENSIONS, FileFilter, classify, walk

DEFAULT_OUT = Path(__file__).resolve().parent / ".corpus"


def sources() -> list[tuple[str, Path]]:
    paths = sysconfig.get_paths()
    found = [("stdlib", Path(paths["stdlib"])), ("site", Path(paths["purelib"]))]
    dist = Path("/usr/lib/python3/dist-packages")
    if dist.is_dir():
        found.append(("dist", dist))
    return found


def candidates(max_lines: int) -> list[tuple[str, Path, bytes]]:
    picked: list[tuple[str, Path, bytes]] = []
    for label, root in sources():
        flt = FileFilter(root.resolve(), extensions=EXTENSIONS, max_bytes=1_000_000)
        for rel in walk(flt).files:
            if "site-packages/" in rel or "dist-packages/" in rel:
                continue  # the stdlib folder may hold its own site-packages: counted once
            path = root / rel
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if classify(data, 1_000_000) is None and data.count(b"\n") <= max_lines:
                picked.append((f"{label}/{rel}", path, data))
    return picked


def build(out: Path, files: int, max_lines: int, seed: int) -> tuple[int, int, int]:
    pool = candidates(max_lines)
    random.Random(seed).shuffle(pool)
    chosen = pool[:files]
    if out.exists():
        shutil.rmtree(out)
    lines = size = 0
    for rel, _src, data in chosen:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        lines += data.count(b"\n")
        size += len(data)
    return len(chosen), lines, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--max-lines", type=int, default=600, help="skip longer files")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    count, lines, size = build(args.out, args.files, args.max_lines, args.seed)
    print(f"corpus {args.out}: {count} files, {lines} lines, {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
