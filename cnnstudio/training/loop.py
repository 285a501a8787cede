"""The training engine: epochs, progress events, cancel, checkpoints, resume, faults.

``Trainer(model, data, config, run_dir).fit()`` trains a plain ``torch.nn.Module`` returning
logits. Progress goes to listener callables as plain dicts of Python numbers (see ``events``).
A set ``cancel`` event stops the run within one batch and saves ``last`` for resume.

Events (``event`` key, then values; epochs and batches count from 1):
  start     epochs, start_epoch, batches_per_epoch, train_samples, val_samples, device,
            settings, world_size
  batch     epoch, epochs, batch, batches, loss, accuracy (running means this epoch),
            samples_per_s, lr, eta_s  (every ``log_every`` batches and the last one)
  epoch     epoch, train_loss, train_accuracy, val_loss, val_accuracy, lr, seconds,
            samples_per_s, best  (also the row appended to history.json)
  unfrozen  epoch, nodes  (``unfreeze_after``: the frozen nodes became trainable)
  cancelled epoch, batch
  end       status (completed | early_stopped | cancelled | error), message, ...

Faults: a NaN/inf loss, a loss that diverges (``guards.DivergenceGuard``: above 100x the run's
first losses or above 1e4) and weights that turn non-finite all raise NonFiniteLossError and
keep the last good checkpoint (a fresh run saves ``last`` with its initial weights first).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from cnnstudio.runs.status import StatusWriter
from cnnstudio.training import distributed as dist_util
from cnnstudio.training.augment import BatchTransform, parse_augment
from cnnstudio.training.checkpoints import checkpoint_exists, load_checkpoint, save_checkpoint
from cnnstudio.training.config import TrainConfig
from cnnstudio.training.data import PreparedData, make_batches
from cnnstudio.training.device import (
    ThreadTuner,
    is_out_of_memory,
    select_device,
    set_threads,
    speed_settings,
)
from cnnstudio.training.errors import DeviceMemoryError, NonFiniteLossError
from cnnstudio.training.evaluate import autocast, evaluate, run_eval
from cnnstudio.training.files import read_json, write_json_atomic
from cnnstudio.training.guards import (
    DivergenceGuard,
    apply_resume_settings,
    check_finite_weights,
    fault_message,
    non_finite_tensors,
)
from cnnstudio.training.metrics import TensorBoardLog, write_metrics
from cnnstudio.training.optim import (
    build_optimizer,
    build_scheduler,
    current_lr,
    param_groups,
    unfreeze_frozen,
)
from cnnstudio.training.run_files import history_path, probe_outputs, write_run_config

log = logging.getLogger("cnnstudio.training")
Listener = Callable[[dict[str, Any]], None]


@dataclass
class TrainResult:
    status: str  # completed | early_stopped | cancelled
    epochs_done: int
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    best_score: float | None = None
    test_metrics: dict[str, Any] | None = None
    run_dir: str | None = None
    message: str = ""


class Trainer:
    def __init__(self, model: torch.nn.Module, data: PreparedData, config: TrainConfig,
                 run_dir: str | Path | None = None, listeners: list[Listener] | None = None,
                 cancel: threading.Event | None = None) -> None:
        config.validate()
        parse_augment(config.augment)
        self.config, self.data = config, data
        self.run_dir = Path(run_dir) if run_dir else None
        self.listeners = list(listeners or [])
        if run_dir is not None:  # status.json: running, then how the run ended (cnnstudio.runs)
            self.listeners.append(StatusWriter(run_dir))
        self.cancel = cancel or threading.Event()
        threads = set_threads(config.num_threads, config.leave_core_for_gui)
        device = select_device(config.device)
        self.ctx = dist_util.setup(device.type)
        if self.ctx.enabled and device.type == "cuda":
            device = torch.device("cuda", self.ctx.local_rank)
        self.device = device
        self.speed = speed_settings(device, config.precision, config.channels_last)
        auto = device.type == "cpu" and config.num_threads == 0
        self.tuner = ThreadTuner(threads if auto else 1)
        self.num_outputs = probe_outputs(model, data.preprocess.input_shape, data.num_classes)
        self.model = model.to(device)
        if self.speed.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.net: torch.nn.Module = dist_util.wrap(self.model, self.ctx, device)

    # ------------------------------------------------------------------ events
    def emit(self, event: str, **values: Any) -> None:
        if not self.ctx.is_main:
            return
        message = {"event": event, **values}
        for listener in self.listeners:
            listener(message)

    def _save(self, name: str, epochs_done: int, status: str, history: list,
              with_optimizer: bool = True) -> None:
        if self.run_dir is None or not self.ctx.is_main:
            return
        info = {"epochs_done": epochs_done, "status": status, "history": history,
                "best_epoch": self.best_epoch, "best_score": self.best_score}
        save_checkpoint(self.run_dir / "checkpoints", name, self.model,
                        self.optimizer if with_optimizer else None,
                        self.scheduler if with_optimizer else None, info)
        write_json_atomic(history_path(self.run_dir), history)

    def _better(self, score: float) -> bool:
        if self.best_score is None or math.isnan(self.best_score):
            return not math.isnan(score)
        return score > self.best_score if self.maximize else score < self.best_score

    # ------------------------------------------------------------------ run
    def fit(self, resume: bool = False, evaluate_test: bool = True,
            new_lr: float | None = None) -> TrainResult:
        """Train; raise NonFiniteLossError / DeviceMemoryError / DatasetError on faults.

        ``new_lr`` (on resume) replaces the learning rate the checkpoint restores.
        """
        try:
            return self._fit(resume, evaluate_test, new_lr)
        except Exception as e:
            if is_out_of_memory(e):
                if self.device.type == "cuda":
                    torch.cuda.empty_cache()
                bs = self.config.batch_size
                err: Exception = DeviceMemoryError(
                    f"out of memory on {self.device} at batch size {bs}: lower the batch size "
                    f"(try {max(1, bs // 2)}) or use a smaller model")
                self.emit("end", status="error", message=str(err))
                raise err from e
            self.emit("end", status="error", message=str(e))
            raise
        finally:
            dist_util.teardown(self.ctx)

    def _fit(self, resume: bool, evaluate_test: bool, new_lr: float | None) -> TrainResult:
        cfg, data, ctx = self.config, self.data, self.ctx
        torch.manual_seed(cfg.seed)
        self.batches = make_batches(data.train, data.preprocess, cfg.batch_size, self.device,
                                    shuffle=True, seed=cfg.seed, rank=ctx.rank,
                                    world_size=ctx.world_size, num_workers=cfg.num_workers)
        self.val_batches = None if data.val is None else make_batches(
            data.val, data.preprocess, cfg.batch_size * 2, self.device, shuffle=False,
            rank=ctx.rank, world_size=ctx.world_size, num_workers=cfg.num_workers)
        self.transform = BatchTransform(data.preprocess, cfg.augment, self.device,
                                        self.speed.channels_last, cfg.seed)
        self.optimizer = build_optimizer(param_groups(self.model, cfg), cfg, self.device)
        self.scheduler, self.sched_when = build_scheduler(self.optimizer, cfg, len(self.batches))
        self.scaler = torch.amp.GradScaler("cuda") if self.speed.use_scaler else None
        self.criterion = torch.nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
        self.maximize = cfg.monitor == "val_accuracy"
        self.best_epoch: int | None = None
        self.best_score: float | None = None
        history: list[dict[str, Any]] = []
        start = 0
        ckpt_dir = self.run_dir / "checkpoints" if self.run_dir else None
        if resume and ckpt_dir is not None and checkpoint_exists(ckpt_dir, "last"):
            info = load_checkpoint(ckpt_dir, "last", self.model, self.optimizer, self.scheduler)
            start, history = int(info["epochs_done"]), list(info.get("history", []))
            self.best_epoch, self.best_score = info.get("best_epoch"), info.get("best_score")
            check_finite_weights(self.model, f"{ckpt_dir / 'last.safetensors'}")
            apply_resume_settings(self.optimizer, self.scheduler, new_lr)
        elif self.run_dir is not None:
            self._save("last", 0, "started", history)  # the first "last good checkpoint"
        self.guard = DivergenceGuard()
        if self.run_dir is not None and ctx.is_main:
            write_run_config(self.run_dir, cfg, data, self.speed, self.num_outputs)
        tb = TensorBoardLog(self.run_dir) if self.run_dir is not None and ctx.is_main else None
        self.emit("start", epochs=cfg.epochs, start_epoch=start + 1,
                  batches_per_epoch=len(self.batches), train_samples=len(data.train),
                  val_samples=len(data.val) if data.val is not None else 0,
                  device=str(self.device), settings=self.speed.describe(),
                  world_size=ctx.world_size)
        self.t_start, self.batches_run = time.perf_counter(), 0
        status, stale = "completed", 0
        for epoch in range(start, cfg.epochs):
            if cfg.unfreeze_after and epoch >= cfg.unfreeze_after and (
                    nodes := unfreeze_frozen(self.model)):  # their optimiser group has them
                self.net = dist_util.wrap(self.model, ctx, self.device)  # DDP: anew
                self.emit("unfrozen", epoch=epoch + 1, nodes=nodes)
            row = self._epoch(epoch)
            if row is None:
                status = "cancelled"
                self._save("last", epoch, status, history)
                break
            if non_finite_tensors(self.model):
                raise NonFiniteLossError(self._fault(
                    epoch, len(self.batches), "the weights became NaN or infinite"))
            history.append(row)
            score = row["val_accuracy" if self.maximize else "val_loss"]
            improved = self._better(score)
            if improved:
                self.best_epoch, self.best_score, stale = epoch + 1, score, 0
            else:
                stale += 1
            row["best"] = improved
            if self.sched_when == "epoch":
                self.scheduler.step()
            elif self.sched_when == "plateau":
                self.scheduler.step(score)
            self._save("last", epoch + 1, "running", history)
            if improved:
                self._save("best", epoch + 1, "best", history, with_optimizer=False)
            if tb is not None:
                tb.scalars(epoch + 1, {f"epoch/{k}": v for k, v in row.items()
                                       if isinstance(v, float)})
            self.emit("epoch", **row)
            if cfg.early_stopping and stale >= cfg.early_stopping:
                status = "early_stopped"
                break
        if tb is not None:
            tb.close()
        result = TrainResult(status, len(history), history, self.best_epoch, self.best_score,
                             run_dir=str(self.run_dir) if self.run_dir else None)
        if status != "cancelled" and evaluate_test and data.test is not None:
            result.test_metrics = self._test()
        result.message = f"{status} after {len(history)} epoch(s)"
        self.emit("end", status=status, message=result.message, epochs_done=len(history),
                  best_epoch=self.best_epoch,
                  test_accuracy=(result.test_metrics or {}).get("accuracy"))
        return result

    def _test(self) -> dict[str, Any] | None:
        """Test metrics of the best weights (rank 0), written to metrics.json/.csv."""
        dist_util.barrier(self.ctx)
        ckpt_dir = self.run_dir / "checkpoints" if self.run_dir else None
        if ckpt_dir is not None and checkpoint_exists(ckpt_dir, "best"):
            load_checkpoint(ckpt_dir, "best", self.model)
        metrics = None
        if self.ctx.is_main:
            metrics = evaluate(self.model, self.data, split="test",
                               batch_size=self.config.batch_size * 2, device=self.device,
                               precision=self.config.precision)
            if self.run_dir is not None:
                write_metrics(self.run_dir, metrics)
        dist_util.barrier(self.ctx)
        return metrics

    def _epoch(self, epoch: int) -> dict[str, Any] | None:
        """One epoch; returns its history row, or None when cancelled."""
        cfg, ctx, dev = self.config, self.ctx, self.device
        self.net.train()
        self.batches.set_epoch(epoch)
        self.transform.set_epoch(epoch)
        self.tuner.pause()
        torch.manual_seed(cfg.seed * 7919 + epoch)
        n_batches = len(self.batches)
        sums = torch.zeros(2, dtype=torch.float64, device=dev)  # loss sum, correct
        seen, t0 = 0, time.perf_counter()
        check_each = dev.type == "cpu" or ctx.enabled
        flags = torch.zeros(3, device=dev)
        for i, (x, y) in enumerate(self.batches):
            self.tuner.tick()
            x = self.transform(x, train=True)
            with autocast(dev, self.speed.amp_dtype):
                out = self.net(x)
            loss = self.criterion(out.float(), y)
            self.optimizer.zero_grad(set_to_none=True)
            if self.scaler is not None:
                self.scaler.scale(loss).backward()
                self.scaler.unscale_(self.optimizer)
            else:
                loss.backward()
            if cfg.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
            if self.scaler is not None:
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                self.optimizer.step()
            if self.sched_when == "batch":
                self.scheduler.step()
            sums[0] += loss.detach().double() * len(y)
            sums[1] += (out.detach().argmax(1) == y).sum()
            seen += len(y)
            self.batches_run += 1
            report = (i + 1) % cfg.log_every == 0 or i + 1 == n_batches
            if check_each or report:
                flags[0] = float(self.cancel.is_set())
                value = loss.item()
                flags[1] = float(not math.isfinite(value))
                flags[2] = float(self.guard.check(value))
                stop, bad, grew = (bool(v) for v in dist_util.any_flag(flags, ctx).tolist())
                if bad or grew:
                    what = (f"the loss became {value}" if not math.isfinite(value) or not grew
                            else self.guard.describe(value) + ": training diverged")
                    raise NonFiniteLossError(self._fault(epoch, i + 1, what))
                if stop:
                    self.emit("cancelled", epoch=epoch + 1, batch=i + 1)
                    return None
            if report:
                self._report_batch(epoch, i, n_batches, sums, seen, t0)
        elapsed = time.perf_counter() - t0
        totals = dist_util.all_reduce_sum(torch.cat([sums, sums.new_tensor([seen])]), ctx)
        loss_sum, correct, count = (float(v) for v in totals.cpu())
        row: dict[str, Any] = {"epoch": epoch + 1, "train_loss": loss_sum / max(count, 1),
                               "train_accuracy": correct / max(count, 1),
                               "lr": current_lr(self.optimizer), "seconds": elapsed,
                               "samples_per_s": count / elapsed if elapsed > 0 else 0.0}
        if self.val_batches is not None:
            val = run_eval(self.net, self.val_batches, self.transform, self.speed.amp_dtype,
                           ctx)
            row["val_loss"], row["val_accuracy"] = val["loss"], val["accuracy"]
        else:
            row["val_loss"], row["val_accuracy"] = row["train_loss"], row["train_accuracy"]
        return row

    def _fault(self, epoch: int, batch: int, what: str) -> str:
        ckpt = self.run_dir / "checkpoints" if self.run_dir is not None else None
        return fault_message(what, epoch, batch, current_lr(self.optimizer), ckpt)

    def _report_batch(self, epoch: int, i: int, n_batches: int, sums: torch.Tensor,
                      seen: int, t0: float) -> None:
        loss_sum, correct = (float(v) for v in sums.cpu())
        now = time.perf_counter()
        per_batch = (now - self.t_start) / max(self.batches_run, 1)
        left = (n_batches - i - 1) + (self.config.epochs - epoch - 1) * n_batches
        self.emit("batch", epoch=epoch + 1, epochs=self.config.epochs, batch=i + 1,
                  batches=n_batches, loss=loss_sum / max(seen, 1),
                  accuracy=correct / max(seen, 1),
                  samples_per_s=seen * self.ctx.world_size / max(now - t0, 1e-9),
                  lr=current_lr(self.optimizer), eta_s=left * per_batch)


def load_history(run_dir: str | Path) -> list[dict[str, Any]]:
    path = history_path(Path(run_dir))
    return list(read_json(path)) if path.is_file() else []
