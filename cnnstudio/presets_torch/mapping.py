"""The key mapping from torchvision's state dicts to the compiled presets' state dicts.

A torchvision key is ``<module path>.<tensor>`` (``layer1.0.conv1.weight``); a compiled
preset's key is ``<node name>.<tensor>`` (``layer1_0_conv1.weight``, see the compiler's key
contract). ``node_name(preset_id, module_path, modules)`` turns a module path into a node
name; most families only replace ``.`` by ``_``:

=================  =====================================================================
family             rule (torchvision module path -> node name)
=================  =====================================================================
alexnet            ``features.0/3/6/8/10`` -> ``conv1..conv5``; ``classifier.1/4/6`` ->
                   ``fc6/fc7/fc8``
vgg*               ``features.<i>`` -> ``conv<stage>_<n>`` / ``bn<stage>_<n>`` (counted from the
                   stage table); ``classifier.0/3/6`` -> ``fc6/fc7/fc8``
resnet*            ``.`` -> ``_``; ``downsample.0/1`` -> ``downsample_conv/bn``
densenet*          drop ``features.``, then ``.`` -> ``_``
googlenet, incep.  ``.`` -> ``_`` (``Mixed_5b.branch1x1.conv`` -> ``Mixed_5b_branch1x1_conv``)
mobilenet_v2       ``features.0`` -> ``stem``, ``features.18`` -> ``head``, ``features.<i>`` ->
                   ``block<i>``; inside a block ``expand``, ``dw``, ``project`` in order;
                   ``classifier.1`` -> ``classifier``
mobilenet_v3_*     as v2 (``features.<i>.block.<k>`` in order expand, dw, se, project);
                   ``classifier.0/3`` -> ``pre_classifier/classifier``
efficientnet_b0    ``features.<s>.<j>.block.<k>`` -> ``stage<s>_<j>_{expand,dw,se,project}``
convnext_tiny      ``features.0`` -> ``stem``, ``features.<2k>`` -> ``downsample<k>``,
                   ``features.<2k+1>.<j>.block.0/2/3/5`` -> ``stage<k+1>_<j>_dwconv/norm/
                   pwconv1/pwconv2``, ``...layer_scale`` -> ``..._layer_scale.scale``;
                   ``classifier.0/2`` -> ``head_norm/classifier``
=================  =====================================================================

Inside a conv-BN pair (torchvision's ``Conv2dNormActivation`` / ``BasicConv2d``) ``.0`` /
``.conv`` is ``_conv`` and ``.1`` / ``.bn`` is ``_bn``. Reshapes: ConvNeXt's ``nn.Linear``
weights ``(out, in)`` become 1x1 convolution weights ``(out, in, 1, 1)``; every other tensor
keeps its shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import torch

from cnnstudio.core.presets.classic import VGG_DEPTHS
from cnnstudio.core.presets.origin import TORCHVISION_PRESETS


class MappingError(KeyError):
    """A torchvision key with no counterpart (or a shape that cannot be matched)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _dots(path: str) -> str:
    return path.replace(".", "_")


def _alexnet(path: str) -> str:
    table = {"features.0": "conv1", "features.3": "conv2", "features.6": "conv3",
             "features.8": "conv4", "features.10": "conv5", "classifier.1": "fc6",
             "classifier.4": "fc7", "classifier.6": "fc8"}
    return table[path]


def _vgg_table(depth: int, batch_norm: bool) -> dict[str, str]:
    """features.<i> indices of torchvision's VGG, counted from the stage table."""
    table: dict[str, str] = {}
    i = 0
    for stage, n in enumerate(VGG_DEPTHS[depth], 1):
        for j in range(1, n + 1):
            table[f"features.{i}"] = f"conv{stage}_{j}"
            if batch_norm:
                table[f"features.{i + 1}"] = f"bn{stage}_{j}"
            i += 3 if batch_norm else 2
        i += 1  # the max pool
    table.update({"classifier.0": "fc6", "classifier.3": "fc7", "classifier.6": "fc8"})
    return table


def _resnet(path: str) -> str:
    path = re.sub(r"downsample\.0$", "downsample.conv", path)
    return _dots(re.sub(r"downsample\.1$", "downsample.bn", path))


def _conv_bn(index: str) -> str:
    return {"0": "conv", "1": "bn"}[index]


def _block_parts(children: list[str], has_se: bool) -> dict[str, str]:
    """Children of an inverted residual block in order -> expand / dw / se / project."""
    roles = ["dw", "se", "project"] if has_se else ["dw", "project"]
    if len(children) == len(roles) + 1:
        roles.insert(0, "expand")
    if len(children) != len(roles):
        raise MappingError(f"unexpected block layout {children}")
    return dict(zip(children, roles, strict=True))


def _children(modules: Iterable[str], block: str) -> tuple[list[str], bool]:
    """Distinct child indices of ``block`` (in key order), and whether one is an SE layer."""
    kids: list[str] = []
    se = False
    for m in modules:
        if m.startswith(block + "."):
            rest = m[len(block) + 1:].split(".")
            if rest[0] not in kids:
                kids.append(rest[0])
            se = se or (len(rest) > 1 and rest[1] == "fc1")
    return kids, se


def _mobilenet_v2(path: str, modules: list[str]) -> str:
    parts = path.split(".")
    if parts[0] == "classifier":
        return "classifier"
    last = max(int(m.split(".")[1]) for m in modules if m.startswith("features."))
    i = int(parts[1])
    if i in (0, last):
        return f"{'stem' if i == 0 else 'head'}_{_conv_bn(parts[2])}"
    # features.<i>.conv.<k>[.<0|1>]: Conv2dNormActivation children, then a bare conv and bn
    kids, _ = _children(modules, f"features.{i}.conv")
    k = parts[3]
    n = len(kids)
    if kids.index(k) < n - 2:
        role = "expand" if n == 4 and kids.index(k) == 0 else "dw"
        return f"block{i}_{role}_{_conv_bn(parts[4])}"
    return f"block{i}_project_{'conv' if kids.index(k) == n - 2 else 'bn'}"


def _mbconv(prefix: str, block: str, parts: list[str], modules: list[str]) -> str:
    """``<block>.<k>.<rest>`` of a MobileNetV3 / EfficientNet block -> our node name."""
    kids, se = _children(modules, block)
    role = _block_parts(kids, se)[parts[0]]
    sub = parts[1] if role == "se" else _conv_bn(parts[1])
    return f"{prefix}_{role}_{sub}"


def _mobilenet_v3(path: str, modules: list[str]) -> str:
    parts = path.split(".")
    if parts[0] == "classifier":
        return {"0": "pre_classifier", "3": "classifier"}[parts[1]]
    last = max(int(m.split(".")[1]) for m in modules if m.startswith("features."))
    i = int(parts[1])
    if i in (0, last):
        return f"{'stem' if i == 0 else 'head'}_{_conv_bn(parts[2])}"
    return _mbconv(f"block{i}", f"features.{i}.block", parts[3:], modules)


def _efficientnet(path: str, modules: list[str]) -> str:
    parts = path.split(".")
    if parts[0] == "classifier":
        return "classifier"
    last = max(int(m.split(".")[1]) for m in modules if m.startswith("features."))
    s = int(parts[1])
    if s in (0, last):
        return f"{'stem' if s == 0 else 'head'}_{_conv_bn(parts[2])}"
    j = parts[2]
    return _mbconv(f"stage{s}_{j}", f"features.{s}.{j}.block", parts[4:], modules)


def _convnext(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "classifier":
        return {"0": "head_norm", "2": "classifier"}[parts[1]]
    f = int(parts[1])
    if f == 0:
        return {"0": "stem_conv", "1": "stem_norm"}[parts[2]]
    if f % 2 == 0:
        return f"downsample{f // 2}_" + {"0": "norm", "1": "conv"}[parts[2]]
    prefix = f"stage{(f + 1) // 2}_{parts[2]}"
    if parts[3] == "layer_scale":
        return f"{prefix}_layer_scale"
    return f"{prefix}_" + {"0": "dwconv", "2": "norm", "3": "pwconv1", "5": "pwconv2"}[parts[4]]


def node_name(preset_id: str, path: str, modules: list[str]) -> str:
    """Our node name for torchvision module ``path`` (``modules``: all module paths)."""
    try:
        if preset_id == "alexnet":
            return _alexnet(path)
        if preset_id.startswith("vgg"):
            depth = int(preset_id[3:5])
            return _vgg_table(depth, preset_id.endswith("_bn"))[path]
        if preset_id.startswith("resnet"):
            return _resnet(path)
        if preset_id.startswith("densenet"):
            return _dots(path.removeprefix("features."))
        if preset_id in ("googlenet", "inception_v3"):
            return _dots(path)
        if preset_id == "mobilenet_v2":
            return _mobilenet_v2(path, modules)
        if preset_id.startswith("mobilenet_v3"):
            return _mobilenet_v3(path, modules)
        if preset_id == "efficientnet_b0":
            return _efficientnet(path, modules)
        if preset_id == "convnext_tiny":
            return _convnext(path)
    except (KeyError, IndexError, ValueError) as exc:
        raise MappingError(f"{preset_id}: no node for torchvision module {path!r}") from exc
    raise MappingError(f"{preset_id!r} has no torchvision mapping; known: "
                       f"{', '.join(TORCHVISION_PRESETS)}")


def _split(key: str) -> tuple[str, str]:
    """``a.b.weight`` -> (``a.b``, ``weight``); ConvNeXt's bare ``layer_scale`` tensor is the
    whole module (our LayerScale node's ``scale``)."""
    if key.endswith(".layer_scale"):
        return key, "scale"
    module, _, tensor = key.rpartition(".")
    return module, tensor


def key_map(preset_id: str, keys: Iterable[str]) -> dict[str, str]:
    """torchvision key -> our node-name key (``node.tensor``), for every key in ``keys``."""
    keys = list(keys)
    modules = list(dict.fromkeys(_split(k)[0] for k in keys))
    out: dict[str, str] = {}
    for key in keys:
        module, tensor = _split(key)
        out[key] = f"{node_name(preset_id, module, modules)}.{tensor}"
    return out


def mapped_tensors(
    preset_id: str,
    state: Mapping[str, torch.Tensor],
    target: Mapping[str, torch.Tensor],
    attrs: Mapping[str, str] | None = None,
    keys: Iterable[str] | None = None,
) -> Iterator[tuple[str, str, str, torch.Tensor]]:
    """``(torchvision key, node name, target key, tensor)`` for each key of ``state`` (or of
    ``keys``), the tensor reshaped where only the layout differs (Linear (out, in) -> 1x1 conv
    (out, in, 1, 1)). ``attrs`` maps node names to module attribute names (the compiler's
    ``attribute_names``; identity when None). A key the target lacks raises ``MappingError``;
    a shape that still differs is left for the caller to judge."""
    for tv_key, ours in key_map(preset_id, state if keys is None else keys).items():
        node, _, tensor = ours.partition(".")
        key = f"{(attrs or {}).get(node, node)}.{tensor}"
        if key not in target:
            raise MappingError(f"{preset_id}: torchvision {tv_key!r} maps to {key!r}, which the "
                               "compiled preset does not have")
        value, want = state[tv_key], target[key]
        if value.shape != want.shape and value.numel() == want.numel():
            value = value.reshape(want.shape)
        yield tv_key, node, key, value


def convert_state_dict(
    preset_id: str,
    state: Mapping[str, torch.Tensor],
    target: Mapping[str, torch.Tensor],
    attrs: Mapping[str, str] | None = None,
) -> dict[str, torch.Tensor]:
    """torchvision ``state`` re-keyed (and reshaped) for a compiled preset whose state dict
    is ``target``. Every torchvision key must find a target key of the same shape, else
    ``MappingError`` names it."""
    out: dict[str, torch.Tensor] = {}
    for tv_key, _, key, value in mapped_tensors(preset_id, state, target, attrs):
        if value.shape != target[key].shape:
            raise MappingError(f"{preset_id}: {tv_key!r} has shape {tuple(value.shape)} but "
                               f"{key!r} needs {tuple(target[key].shape)}")
        out[key] = value
    return out
