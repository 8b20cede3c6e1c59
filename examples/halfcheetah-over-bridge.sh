#!/usr/bin/env bash
# Example 2: train against a Gymnasium MuJoCo environment served by the Python server, then stop both.
#   examples/halfcheetah-over-bridge.sh                    # 100,000 steps (about 15 minutes on 2 cores)
#   STEPS=2000 examples/halfcheetah-over-bridge.sh         # a quick look
# Installs gymnasium[mujoco] with pip when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-100000}
sac=${SAC:-.build/release/sac}
scripts/install-dependencies --python >/dev/null
python3 -c "import mujoco" 2>/dev/null || python3 -m pip install -q "gymnasium[mujoco]" >&2
[ -x "$sac" ] || swift build -c release --product sac >&2
export PYTHONPATH="$PWD/protocol/python${PYTHONPATH:+:$PYTHONPATH}"
port=$((20000 + RANDOM % 20000))
python3 -m gym_bridge serve --env HalfCheetah-v5 --bind "tcp://127.0.0.1:$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 3
"$sac" train --env "tcp://127.0.0.1:$port" --steps "$steps" --learning-starts "$(( steps < 4000 ? steps / 4 : 1000 ))" \
    --eval-every 25000 --eval-episodes "${EVAL_EPISODES:-10}" --run-dir "${RUN_DIR:-runs/halfcheetah}" ${EXTRA:-}
