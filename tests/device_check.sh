#!/usr/bin/env bash
# The GPU checks, run on a lent device machine (see README "GPU targets"): one fold of Classify Leaves with the
# GPU EfficientNet-Lite0 config and the airbench-style CIFAR-10 net, each through `kagglekit bench` (accuracy, wall,
# img/s against the bare reference loop, channels_last / torch.compile variants); `leaves-auto` runs the default
# (model=auto: the portfolio, its ensemble) and AutoGluon best_quality at the same wall on the same fold, as does
# `cifar10-auto` (pass image.extension=.jpg: the compact copy keeps the shared JPEGs). The data come as compact
# archives made by tests/device_data.py (git-ignored data/gpu/*.tgz); missing packages as wheels in .whl/.
#   bash tests/device_check.sh leaves|cifar10|leaves-auto|cifar10-auto [extra key=value ...]
# Logs and run records go to $OUT (or /tmp/device-out).
set -o pipefail
what=$1; shift
out=${OUT:-/tmp/device-out}; mkdir -p "$out"
if ls .whl/*.whl >/dev/null 2>&1; then
  [ -d /tmp/site ] || python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:src
else
  export PYTHONPATH=src
fi
export KAGGLEKIT_WORKDIR=${KAGGLEKIT_WORKDIR:-/tmp/kk} PYTHONUNBUFFERED=1 TQDM_MININTERVAL=10
data=${what%-auto}
mkdir -p /tmp/kkdata && { [ -d "/tmp/kkdata/$data" ] || tar xzf "data/gpu/$data.tgz" -C /tmp/kkdata; } || exit 1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, timm, numpy; print('torch', torch.__version__, 'timm', timm.__version__, 'numpy', numpy.__version__, 'cuda', torch.cuda.is_available())"
case $what in
  leaves) comp=leaves; models=efficientnet_lite0;;
  cifar10) comp=cifar10; models=airbench;;
  leaves-auto) comp=leaves; models=auto;;
  cifar10-auto) comp=cifar10; models=auto;;
  *) echo "usage: $0 leaves|cifar10|leaves-auto|cifar10-auto [key=value ...]"; exit 2;;
esac
python3 -m kagglekit bench comp=$comp model=$models data_dir=/tmp/kkdata/$data "$@" 2>&1 | tee "$out/$what.log"
rc=$?
# One archive a check ($OUT brings back few files): each run's scores and fold-0 history, the leaderboards.
(cd "$KAGGLEKIT_WORKDIR/runs/$comp" && tar czf "$out/$what-runs.tgz" --ignore-failed-read */*/scores.json \
  */*/fold_0.history.csv *.md 2>/dev/null)
exit $rc
