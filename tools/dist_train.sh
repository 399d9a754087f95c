#!/usr/bin/env bash
# Distributed training with torchrun, one process per GPU (or per CPU process when there is no GPU).
#   bash tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: run on every node with NNODES, NODE_RANK, MASTER_ADDR and PORT set, e.g.
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 bash tools/dist_train.sh CONFIG 8
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
PYTHON=${PYTHON:-python}
cd "$(dirname "$0")/.."
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" --master_port="$PORT" \
    tools/train.py "$CONFIG" --launcher pytorch "${@:3}"
