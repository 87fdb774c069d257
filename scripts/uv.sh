#!/bin/sh
# Prints the absolute path of a working uv, installing one first if the machine has
# none. The top Makefile runs this once and hands the path to every nested make (sam
# build's makefile builds, make promote, tests), so no recipe depends on PATH.
#
# Where it looks, in order: $UV (set by an outer make, and by `uv run` itself), uv on
# PATH, `python3 -m uv`, then the private copy in .bootstrap/. With none of them it
# installs uv into .bootstrap/, a venv inside the repo: that works on PEP 668 systems
# (Debian 12, Ubuntu 24.04), which refuse `pip install` into their own Python, and
# leaves the user's Python untouched. Without venv it falls back to pip --target.
set -u

UV_VERSION=0.13.9
root=$(cd "$(dirname "$0")/.." && pwd)
private="$root/.bootstrap"

works() { [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
found() { printf '%s\n' "$1"; exit 0; }
python_uv() { python3 -c 'import uv, sys; sys.stdout.write(uv.find_uv_bin())' 2>/dev/null; }

if [ -n "${UV:-}" ] && works "$UV"; then found "$(readlink -f "$UV")"; fi

if on_path=$(command -v uv 2>/dev/null); then
    # A pyenv shim exists even where uv belongs to another Python, and it resolves by
    # the current folder: pass down the binary behind it, which works from anywhere.
    real=$(pyenv which uv 2>/dev/null || readlink -f "$on_path")
    if works "$real"; then found "$real"; fi
fi

if module=$(python_uv) && works "$module"; then found "$module"; fi

if works "$private/bin/uv"; then found "$private/bin/uv"; fi

if ! command -v python3 >/dev/null 2>&1; then
    echo "uv.sh: python3 is not on PATH; install it, or uv: curl -LsSf https://astral.sh/uv/install.sh | sh" >&2
    exit 1
fi

echo "uv.sh: no uv found; installing uv $UV_VERSION into $private (a private venv)" >&2
rm -rf "$private"
if python3 -m venv "$private" >&2 \
    && "$private/bin/python" -m pip install --quiet --disable-pip-version-check \
        "uv==$UV_VERSION" >&2 \
    && works "$private/bin/uv"; then
    found "$private/bin/uv"
fi
rm -rf "$private"

# Debian ships venv's pip (ensurepip) in a separate package; its own pip may still
# install into a folder of ours: --target leaves every Python environment untouched,
# so PEP 668 has nothing to refuse.
echo "uv.sh: python3 cannot create a venv with pip; trying pip install --target" >&2
if python3 -m pip install --quiet --disable-pip-version-check --target "$private" \
        "uv==$UV_VERSION" >&2 \
    && works "$private/bin/uv"; then
    found "$private/bin/uv"
fi
rm -rf "$private"

echo "uv.sh: cannot install uv with this python3 (no venv, no pip); install it with: curl -LsSf https://astral.sh/uv/install.sh | sh" >&2
exit 1
