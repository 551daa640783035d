# Sourced by scripts/run and scripts/test: make .venv with Python 3.11+ and install the project,
# every package at the version constraints.txt pins (what CI tested; scripts/constraints writes it).
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Segments needs Python 3.11 or newer; none was found on PATH." >&2
  exit 1
}

# Installing costs seconds even when nothing changed (pip asks the index about itself), so a
# stamp in .venv remembers what was installed: the extras and the files that say what to install.
ensure_venv() {
  local extras="$1" stamp=.venv/.installed wanted
  if [ ! -x .venv/bin/python ]; then
    "$(pick_python)" -m venv .venv
  fi
  wanted="${extras} $(cat pyproject.toml constraints.txt | cksum)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then
    return
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
  .venv/bin/python -m pip install --quiet -c constraints.txt -e ".${extras}"
  echo "$wanted" > "$stamp"
}
