"""The Khronos glTF-Validator, run with node on scripts/gltf_validate.mjs.

The validator is the npm package ``gltf-validator``, installed by ``scripts/setup.sh test``
into ``.tools/``; node comes from Debian (or wherever ``node`` is on PATH).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gltf_validate.mjs"
PACKAGE = ROOT / ".tools" / "node_modules" / "gltf-validator"


class ValidatorMissing(RuntimeError):
    """node or the gltf-validator package is not installed (run scripts/setup.sh test)."""


def validator_available() -> bool:
    """Whether node and the validator package are both there."""
    return shutil.which("node") is not None and PACKAGE.is_dir()


def validate_gltf(path: Path | str, max_issues: int = 1000) -> dict[str, Any]:
    """The validator's report for a .glb/.gltf/.vrm file (external resources refused).

    ``report["issues"]`` holds ``numErrors``, ``numWarnings``, ``numInfos``, ``numHints``
    and the ``messages`` (code, severity 0 error … 3 hint, pointer).
    """
    node = shutil.which("node")
    if node is None or not PACKAGE.is_dir():
        raise ValidatorMissing(f"needs node and {PACKAGE} (scripts/setup.sh test)")
    result = subprocess.run(
        [node, str(SCRIPT), str(path), str(max_issues)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"gltf-validator failed ({result.returncode}): {result.stderr.strip()}")
    return json.loads(result.stdout)


def issue_codes(report: dict[str, Any], severity: int) -> list[str]:
    """The codes of the report's messages of one severity (0 error, 1 warning, 2 info, 3 hint)."""
    return [m["code"] for m in report["issues"]["messages"] if m["severity"] == severity]
