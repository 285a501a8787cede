"""Distributed data-parallel training when launched by torchrun.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT. ``setup`` then joins the
process group (gloo on the CPU, nccl on CUDA); the engine wraps the model in
DistributedDataParallel, shards batches per rank, and logs and checkpoints from rank 0 only.
``launch`` starts such a run from the CLI: ``torchrun --standalone --nproc-per-node=N``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False  # we created the process group, so we destroy it

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def setup(device_type: str = "cpu") -> DistContext:
    """Join the process group named by torchrun's environment (no-op for one process)."""
    if dist.is_available() and dist.is_initialized():
        return DistContext(dist.get_rank(), dist.get_world_size(),
                           int(os.environ.get("LOCAL_RANK", "0")), owns_group=False)
    world = env_world_size()
    if world <= 1:
        return DistContext()
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device_type == "cuda" else "gloo"
    if device_type == "cuda":
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend, rank=rank, world_size=world)
    return DistContext(rank, world, local_rank, owns_group=True)


def wrap(model: torch.nn.Module, ctx: DistContext, device: torch.device) -> torch.nn.Module:
    """``model`` in DistributedDataParallel under torchrun (made again when parameters are
    unfrozen: DDP reduces the gradients of the parameters trainable when it is made)."""
    if not ctx.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel as DDP

    return DDP(model, device_ids=[device.index] if device.type == "cuda" else None)


def teardown(ctx: DistContext) -> None:
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def all_reduce_sum(tensor: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    if ctx.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def any_flag(flags: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Element-wise max of small flag tensors across ranks (stop together, never deadlock)."""
    if ctx.enabled:
        dist.all_reduce(flags, op=dist.ReduceOp.MAX)
    return flags


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def launch(nproc: int, args: list[str], module: str = "cnnstudio") -> int:
    """Run ``python -m <module> <args>`` in ``nproc`` processes with torchrun; returns rc."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc-per-node={nproc}", "-m", module, *args]
    return subprocess.call(cmd)
