"""Keep the README's copies of result tables equal to the files they copy.

A block ``<!-- begin PATH -->`` ... ``<!-- end PATH -->`` in README.md holds the content of
the file PATH (relative to the repository root), so the README never carries a typed-in
number:

    python -m gqap.bench.readme            # rewrite every block from its file
    python -m gqap.bench.readme --check    # exit 1 naming the first stale block
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from gqap.errors import GQAPError
from gqap.io import write_text_atomic

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"<!-- begin (?P<path>\S+) -->\n(?P<body>.*?)<!-- end (?P=path) -->", re.S)


def synced(text: str, root: Path) -> tuple[str, list[str]]:
    """``text`` with every block replaced by its file's content, and the stale paths."""
    stale: list[str] = []

    def fill(m: re.Match[str]) -> str:
        path = root / m["path"]
        if not path.is_file():
            raise GQAPError(f"README block names {m['path']}, which does not exist")
        body = path.read_text().rstrip("\n") + "\n"
        if body != m["body"]:
            stale.append(m["path"])
        return f"<!-- begin {m['path']} -->\n{body}<!-- end {m['path']} -->"

    return BLOCK.sub(fill, text), stale


def main(argv: Sequence[str] | None = None) -> int:
    """Rewrite (or with --check only verify) the README's copied blocks."""
    p = argparse.ArgumentParser(prog="python -m gqap.bench.readme", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true", help="only verify; exit 1 when stale")
    p.add_argument("--readme", default=str(ROOT / "README.md"))
    args = p.parse_args(argv)
    readme = Path(args.readme)
    try:
        new, stale = synced(readme.read_text(), readme.resolve().parent)
    except (GQAPError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        for path in stale:
            print(f"stale README block: {path} (run python -m gqap.bench.readme)", file=sys.stderr)
        return 1 if stale else 0
    if stale:
        write_text_atomic(readme, new)
    print(f"{len(stale)} README block(s) updated" if stale else "README blocks up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
