"""Widget size, minified and gzipped (-9): the core alone (a page without a survey or a policy) and with its lazily
loaded survey and policy chunk, beside driver.js and Shepherd as published on npm.

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


CORE_TARGET = 9 * 1024
"""What a page without a survey or a policy downloads: the core bundle."""
TOTAL_TARGET = 12 * 1024
"""Everything the widget can do: the core and the survey and policy chunk it loads when an answer needs it."""


def main() -> None:
    bundle = ROOT / "widget" / "dist" / "waymark.js"
    chunk = ROOT / "widget" / "dist" / "waymark-feedback.js"
    if not bundle.exists() or not chunk.exists():
        raise SystemExit("build the widget first: make widget")
    core, feedback = bundle.read_bytes(), chunk.read_bytes()
    print("widget size: minified, then gzip -9 (what a browser downloads)")
    print(row("waymark core", core, b"", "(styles inside the JS)"))
    print(row("  + feedback chunk", feedback, b"", "(surveys and policies, loaded only when needed)"))
    for what, size, target in (("without a survey or a policy", gz(core), CORE_TARGET),
                               ("everything", gz(core) + gz(feedback), TOTAL_TARGET)):
        verdict = "within" if size <= target else "OVER"
        print(f"  {what:<30} {size:>7,} B gz   {verdict} the {target // 1024} KB target")
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
