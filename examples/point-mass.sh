#!/usr/bin/env bash
# Example 3, run: starts the plain-Python point-mass simulator, trains SAC against it over tcp, stops it.
#   examples/point-mass.sh                 # 5,000 steps with the default networks
#   STEPS=2000 SAC=.build/debug/sac EXTRA="--hidden 64,64 --batch-size 64" examples/point-mass.sh
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-5000}
sac=${SAC:-.build/release/sac}
[ -x "$sac" ] || swift build -c release --product sac >&2
port=$((20000 + RANDOM % 20000))
python3 examples/point_mass_simulator.py --bind "tcp://127.0.0.1:$port" &
simulator=$!
trap 'kill $simulator 2>/dev/null' EXIT
sleep 1
# A uniformly random policy scores about -38 per episode; moving straight to the origin about -3.
"$sac" train --env "tcp://127.0.0.1:$port" --steps "$steps" --learning-starts 500 --eval-every 0 \
    --run-dir "${RUN_DIR:-runs/point-mass}" --quiet ${EXTRA:-} | tee /tmp/point-mass-result.txt
python3 - "${RUN_DIR:-runs/point-mass}/summary.json" "${MIN_RETURN:--15}" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
mean, threshold = summary["eval_return_mean"], float(sys.argv[2])
print(f"PointMass-v0: evaluation return {mean:.1f} (random policy about -38, straight to the origin about -3; learned if above {threshold})")
sys.exit(0 if mean > threshold else 1)
PY
