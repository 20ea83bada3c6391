#!/usr/bin/env bash
# The action's install step (action.yml): smartlive from the action's own checkout, in a virtual
# environment of its own under RUNNER_TEMP (nothing of the workflow's Python is touched), once per job
# and action version: a second use of the action in the same job finds it installed.
# Gives the environment's python as the step output `python`, and `smartlive` to the steps after it.
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?is not set: this script is a step of action.yml}"
# cksum is POSIX (Linux and macOS runners alike): one environment per checkout of the action.
key="$(printf '%s' "$action_path" | cksum | cut -d ' ' -f 1)"
venv="${RUNNER_TEMP:?is not set}/smartlive-${key}"
# The interpreter actions/setup-python installed (action.yml passes its path), else the runner's.
python="${SMARTLIVE_SETUP_PYTHON:-python3}"

if [ ! -x "$venv/bin/smartlive" ]; then
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$action_path"
fi

# Only `smartlive` goes on PATH, not the environment's bin/: the job's own `python` and `pip` stay its own.
mkdir -p "$venv/path"
ln -sf "$venv/bin/smartlive" "$venv/path/smartlive"
echo "$venv/path" >> "${GITHUB_PATH:?}"
echo "python=$venv/bin/python" >> "${GITHUB_OUTPUT:?}"
"$venv/bin/smartlive" --version
