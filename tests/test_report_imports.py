"""The report's start-up: scipy.stats and networkx (a second and more of imports) are not imported
with the report's modules but by a thread while the case is read (`build.prefetch_imports`)."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_report_modules_leave_the_heavy_libraries_for_later():
    code = ("import sys; import toolkit.report.output, toolkit.report.build, toolkit.report.stats, "
            "toolkit.report.networks; print(sorted(m for m in ('scipy.stats', 'networkx') if m in sys.modules))")
    assert _run(code) == "[]"


def test_prefetch_imports_them_in_a_thread():
    code = ("import sys, threading; from toolkit.report.build import prefetch_imports; prefetch_imports(); "
            "[t.join() for t in threading.enumerate() if t.name == 'report-imports']; "
            "print(sorted(m for m in ('scipy.stats', 'networkx') if m in sys.modules))")
    assert _run(code) == "['networkx', 'scipy.stats']"
