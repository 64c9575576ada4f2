"""The README's Python quickstart is run as written (docs are tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_quickstart_runs() -> None:
    if not README.is_file():
        pytest.skip("README.md is not next to the tests")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has no python block"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme"})


def test_package_docstring_example_runs() -> None:
    import doctest

    import deploygov

    failures, tried = doctest.testmod(deploygov)
    assert tried > 0 and failures == 0
