"""Widget size, minified and gzipped (-9), beside driver.js and Shepherd as published on npm.

Run: ``.venv/bin/python -m benchmarks.widget_size`` (needs the npm registry for the peers).
"""

from __future__ import annotations

import gzip
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEERS = {
    "driver.js@1.8.0": (["package/dist/driver.js.iife.js"], ["package/dist/driver.css"]),
    "shepherd.js@15.3.0": (["package/dist/js/shepherd.mjs"], ["package/dist/css/shepherd.css"]),
}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def row(name: str, js: bytes, css: bytes, note: str = "") -> str:
    css_gz = gz(css) if css else 0
    css_part = f"{css_gz:>7,} B" if css else "in JS  "
    total = gz(js) + css_gz
    return f"  {name:<22} {len(js):>8,} B min → {gz(js):>7,} B gz   CSS {css_part}   total {total:>7,} B {note}"


def main() -> None:
    bundle = ROOT / "widget" / "dist" / "waymark.js"
    if not bundle.exists():
        raise SystemExit("build the widget first: make widget")
    print("widget size: minified, then gzip -9 (what a browser downloads)")
    print(row("waymark (this repo)", bundle.read_bytes(), b"", "(styles inside the JS)"))
    with tempfile.TemporaryDirectory() as tmp:
        for spec, (js_files, css_files) in PEERS.items():
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True, capture_output=True)
            tgz = next(Path(tmp).glob(spec.split("@")[0] + "-*.tgz"))
            with tarfile.open(tgz) as tar:
                js = b"".join(tar.extractfile(f).read() for f in js_files)  # type: ignore[union-attr]
                css = b"".join(tar.extractfile(f).read() for f in css_files)  # type: ignore[union-attr]
            print(row(spec, js, css))
            tgz.unlink()


if __name__ == "__main__":
    main()
