#!/usr/bin/env bash
# Train on Pendulum, export the policy three ways, and run it in Gymnasium without Swift: from Python
# (NumPy only, and onnxruntime) and from a C program, on the seeds `sac eval` uses; each must get
# sac eval's returns within 1e-3.
#   examples/deploy-policy/deploy.sh            20,000 steps (a few minutes on 2 cores, release build)
#   examples/deploy-policy/deploy.sh --quick    a short run that checks every step works
# Environment: SAC (the sac binary; default: build it in release), RUN_DIR (default runs/deploy-pendulum).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
steps=20000 episodes=10 extra=()
if [ "${1:-}" = "--quick" ]; then steps=1500 episodes=3 extra=(--learning-starts 500 --hidden 64,64 --batch-size 64 --quiet); fi
if [ -z "${SAC:-}" ]; then
    (cd "$root" && swift build -c release --product sac >&2)
    SAC="$root/.build/release/sac"
fi
run=${RUN_DIR:-runs/deploy-pendulum}
export PYTHONPATH="$root/protocol/python${PYTHONPATH:+:$PYTHONPATH}"

echo "== train"
"$SAC" train --env pendulum --steps "$steps" --eval-episodes "$episodes" --run-dir "$run" "${extra[@]}"
echo "== evaluate in Swift"
"$SAC" eval --run-dir "$run" --episodes "$episodes" --json > "$run/eval.json"
echo "== export"
"$SAC" export --run-dir "$run" --format onnx --output "$run/policy.onnx"
"$SAC" export --run-dir "$run" --format numpy --output "$run/policy.npz"
"$SAC" export --run-dir "$run" --format c --output "$run/policy.h"
cc -std=c99 -Wall -Wextra -Werror -pedantic -O2 -I "$run" "$here/act.c" -o "$run/act" -lm
echo "== run in Gymnasium, without Swift"
python3 "$here/evaluate_in_gymnasium.py" --env Pendulum-v1 --episodes "$episodes" --expect "$run/eval.json" \
    --sacp "$run/policy.sacp" --npz "$run/policy.npz" --onnx "$run/policy.onnx" --c-program "$run/act"
