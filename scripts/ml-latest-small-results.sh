#!/usr/bin/env bash
# Reproduces docs/results.md: Mult-VAE, Mult-DAE, EASE and popularity on MovieLens ml-latest-small,
# 60 held-out users per split, the paper's defaults, over three split seeds.
# Usage: scripts/ml-latest-small-results.sh [RATINGS_CSV] [OUT_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RATINGS="${1:-$ROOT/../shared/data/ml-latest-small/ratings.csv}"
OUT="${2:-$ROOT/target/results}"
SEEDS="${SEEDS:-1 2 3}"
for seed in $SEEDS; do
  for model in vae dae; do
    "$ROOT/recsys" train --ratings "$RATINGS" --held-out-users 60 --split-seed "$seed" --seed "$seed" \
      --model "$model" --out "$OUT/$model-seed$seed" --no-progress ${TRAIN_ARGS:-}
  done
done
"$ROOT/recsys" summarize "$OUT"/vae-seed* "$OUT"/dae-seed*
