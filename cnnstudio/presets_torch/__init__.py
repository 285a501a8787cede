"""Torch-side helpers for the presets (torch allowed here, never in the core).

- ``mapping``: torchvision state-dict keys -> the compiled presets' keys
  (``key_map``, ``convert_state_dict``, ``TORCHVISION_PRESETS``, ``MappingError``).
- ``transfer``: offline transfer learning: ``pretrained_model``, ``load_pretrained``,
  ``load_state_file``, ``find_cached_weights`` (torch hub cache, never downloads),
  ``fine_tune_head``, ``freeze_all``, ``set_trainable``, ``sync_trainable``.
- ``finetune``: ``--weights`` / ``--freeze`` applied when a run starts (``prepare_fine_tuning``,
  for ``cnnstudio train`` and the app's training worker) and the run's ``pretrained.json``.
"""

from cnnstudio.presets_torch.mapping import (
    TORCHVISION_PRESETS,
    MappingError,
    convert_state_dict,
    key_map,
)
from cnnstudio.presets_torch.transfer import (
    LoadReport,
    find_cached_weights,
    fine_tune_head,
    freeze_all,
    load_pretrained,
    load_state_file,
    load_torchvision_state,
    pretrained_model,
    set_trainable,
    sync_trainable,
    torchvision_file_names,
)

__all__ = [
    "TORCHVISION_PRESETS", "LoadReport", "MappingError", "convert_state_dict",
    "find_cached_weights",
    "fine_tune_head", "freeze_all", "key_map", "load_pretrained", "load_state_file",
    "load_torchvision_state", "pretrained_model", "set_trainable", "sync_trainable",
    "torchvision_file_names",
]
