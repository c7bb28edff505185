#!/usr/bin/env bash
# One command from a fresh clone to a working voicesim: system packages, a virtual
# environment with CPU-only PyTorch and every Python package, the offline Whisper weights,
# then a short demo on the built-in defaults.
#
#   scripts/setup.sh            # everything, then the demo
#   VOICESIM_SKIP_APT=1 ...     # skip the Debian/Ubuntu packages (install them yourself)
#   VOICESIM_SKIP_DEMO=1 ...    # set up only
#   VOICESIM_TORCH_INDEX=URL    # where the CPU build of torch comes from (default: PyTorch's CPU index)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

APT_PACKAGES=(
  espeak-ng libespeak-ng1      # the caller's voice (pyttsx3 drives espeak-ng)
  libportaudio2                # microphone and headphones (sounddevice)
  ffmpeg                       # decoding uploaded MP3/M4A/Ogg/WebM
  pulseaudio pulseaudio-utils  # a virtual sound device for the voice tests
  sox                          # audio checks
  chromium                     # browser tests of the web app
  postgresql                   # storage tests against a real PostgreSQL
)
if [[ "${VOICESIM_SKIP_APT:-0}" != 1 ]]; then
  say "Debian packages: ${APT_PACKAGES[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  if command -v apt-get >/dev/null; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
  else
    echo "no apt-get here: install the equivalents of ${APT_PACKAGES[*]} yourself, then rerun with VOICESIM_SKIP_APT=1" >&2
    exit 1
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "voicesim needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
if [[ ! -x .venv/bin/python ]]; then
  say "Virtual environment in .venv"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

# CPU-only torch BEFORE openai-whisper: with no torch present, a plain "torch" requirement
# pulls several GB of CUDA packages.
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  say "PyTorch (CPU build)"
  # The CPU build (version suffix +cpu) from the configured package sources if they have it,
  # else from PyTorch's CPU index.
  "${PIP[@]}" "torch==2.13.0+cpu" 2>/dev/null \
    || "${PIP[@]}" "torch==2.13.0" --index-url "${VOICESIM_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}" \
         --extra-index-url https://pypi.org/simple
fi

say "voicesim and its Python packages"
"${PIP[@]}" -e ".[speech,store,batch,web,dev]"
# openai-whisper without its dependencies: they would add triton (about 1 GB, useless on CPU);
# its real requirements are in the speech extra.
"${PIP[@]}" --no-deps "openai-whisper==20250625"

say "Offline Whisper weights (tiny.en, multilingual base)"
.venv/bin/voicesim models prepare

if [[ "${VOICESIM_SKIP_DEMO:-0}" != 1 ]]; then
  say "Demo: a scripted practice call on the defaults"
  .venv/bin/voicesim demo
fi
say "Ready. Try: .venv/bin/voicesim practice --persona valentine-gift --text, and .venv/bin/voicesim serve to review the calls in a browser"
