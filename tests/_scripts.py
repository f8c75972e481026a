"""Running code in a fresh interpreter, for cases that may crash the process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


def run_script(
    code: str, timeout: int = 240, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (``env``: variables added to ours)."""
    return subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
    )


def crash_report(out: subprocess.CompletedProcess) -> str:
    """The fatal error and the Python frames of a crashed subprocess."""
    keep = [
        line
        for line in out.stderr.splitlines()
        if line.startswith(("Fatal", "Traceback", "  File")) or "Error" in line
    ]
    return f"exit code {out.returncode}:\n" + "\n".join(keep[-20:])
