#!/usr/bin/env bash
# Builds and tests the Python package from a clean clone (scripts/test.sh runs this):
#   a virtual environment in bindings/python/.venv (git-ignored; PYTHON picks the interpreter),
#   pip install of the package with its test extras (maturin comes through build isolation),
#   pytest, mypy --strict over the package, the typed usage file and the example, stubtest against the
#   installed package, and the FastAPI example's tests.
# Needs only python3 (3.9+) with venv and pip, cargo, and PyPI.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
py="$venv/bin/python"

step() { printf '\n--> python: %s\n' "$*"; }

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_ROOT_USER_ACTION=ignore PYTHONDONTWRITEBYTECODE=1
# The dev profile shares the compiled core with the workspace's cargo runs; a user's
# `pip install ./bindings/python` builds release.
export MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:---profile dev}"

step "virtual environment ($venv)"
if [ ! -x "$py" ]; then
  python="${PYTHON:-python3}"
  if ! "$python" -m venv "$venv"; then
    # Debian's python3 without the python3-venv package has no ensurepip: bootstrap the
    # environment with virtualenv from PyPI instead (installed into a git-ignored folder).
    rm -rf "$venv"
    "$python" -m pip install --quiet --target "$here/.venv-bootstrap" virtualenv
    PYTHONPATH="$here/.venv-bootstrap" "$python" -m virtualenv --quiet "$venv"
  fi
fi
"$py" --version

step "pip install ./bindings/python[test]"
"$py" -m pip install --quiet "$here[test]"

cd "$here"
step "pytest (every method, bad input, callbacks, 8 threads, scenario corpus, parity)"
"$py" -m pytest -q -p no:cacheprovider tests

step "mypy --strict (the package, type_tests/usage.py and the FastAPI example)"
mypy=("$py" -m mypy --strict --no-incremental --cache-dir=/dev/null)
(cd "$venv" && "${mypy[@]}" -p deploygov)
"${mypy[@]}" type_tests/usage.py
(cd "$root/examples/fastapi" && "${mypy[@]}" app.py test_app.py)

step "stubtest against the installed package"
"$py" -m mypy.stubtest deploygov --allowlist stubtest-allowlist.txt

step "FastAPI example (examples/fastapi)"
cd "$root/examples/fastapi"
"$py" -m pytest -q test_app.py
