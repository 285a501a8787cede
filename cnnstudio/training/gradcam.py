"""Grad-CAM (Selvaraju et al. 2017) for models compiled by ``cnnstudio.compiler.build_model``.

``grad_cam(model, x, layer_name)`` answers "which part of the image made the network choose
this class, as seen by node ``layer_name``": the node's feature maps ``A_k`` are weighted by
the mean gradient of the class score (the logit) over each map, ``relu(sum_k alpha_k A_k)``,
upsampled (bilinear) to the input's height and width and scaled to [0, 1].

The node's output comes from ``cnnstudio.compiler.node_outputs`` (the model run step by
step, each node's output kept by node name) and its gradient from ``torch.autograd.grad``
with respect to that tensor. A forward hook on the submodule named after the node would miss
the node's fused activation (``Conv2d`` with ``activation="relu"`` applies it after the
submodule, outside it) and nodes without a submodule (pools, merges); the node's own output,
after its activation, is what Keras-style Grad-CAM weights.

torch only, no Qt; the model is used as it is (call it in ``eval()`` mode); its parameters'
gradients are never touched, so a model shared with other threads stays usable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class CamResult:
    """A Grad-CAM and what it was computed from (all plain NumPy)."""

    heatmap: np.ndarray  # (H, W) float32 in [0, 1], the input's height and width
    activations: np.ndarray  # (C, h, w) float32: the node's feature maps for this image
    class_index: int  # the class explained
    logits: np.ndarray  # (classes,) the model's outputs for this image


def _node_activation(model: torch.nn.Module, x: torch.Tensor,
                     layer_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(the node's output, the model's output) from one forward pass with autograd on."""
    from cnnstudio.compiler import compile_info, node_outputs

    info = compile_info(model)
    if layer_name not in info.attrs:
        raise ValueError(f"the network has no node named {layer_name!r}")
    outputs = node_outputs(model, x)
    return outputs[layer_name], outputs[info.output]


def grad_cam_details(model: torch.nn.Module, x: torch.Tensor, layer_name: str,
                     class_index: int | None = None) -> CamResult:
    """Grad-CAM of ``x`` (1, C, H, W, normalised as in training) at node ``layer_name``,
    for ``class_index`` (the predicted class when None), with the node's feature maps."""
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"expected one image as a (1, C, H, W) tensor, got {tuple(x.shape)}")
    x = x.detach().float().clone().requires_grad_(True)  # a graph even if layers are frozen
    with torch.enable_grad():
        act, out = _node_activation(model, x, layer_name)
        if act.ndim != 4:
            raise ValueError(f"{layer_name} outputs a vector of {act[0].numel()} values, not "
                             "feature maps: choose a convolution or pooling node")
        logits = out[0].float()
        k = int(logits.argmax()) if class_index is None else int(class_index)
        if not 0 <= k < logits.numel():
            raise ValueError(f"class {k} does not exist (0 to {logits.numel() - 1})")
        (grads,) = torch.autograd.grad(logits[k], act, allow_unused=True)
    a = act.detach().float()
    if grads is None:  # the score does not depend on this node (a dead branch)
        cam = torch.zeros(a.shape[-2:])
    else:
        weights = grads.float().mean(dim=(2, 3), keepdim=True)  # alpha_k
        cam = F.relu((weights * a).sum(dim=1))[0]
    height, width = x.shape[-2:]
    cam = F.interpolate(cam[None, None], size=(height, width), mode="bilinear",
                        align_corners=False)[0, 0]
    top = float(cam.max())
    heat = (cam / top).clamp(0.0, 1.0) if top > 0 and np.isfinite(top) else torch.zeros_like(cam)
    return CamResult(heat.numpy().astype(np.float32), a[0].numpy(), k,
                     logits.detach().numpy().astype(np.float32))


def grad_cam(model: torch.nn.Module, x: torch.Tensor, layer_name: str,
             class_index: int | None = None) -> np.ndarray:
    """The (H, W) Grad-CAM heatmap in [0, 1] of ``x`` at node ``layer_name``."""
    return grad_cam_details(model, x, layer_name, class_index).heatmap
