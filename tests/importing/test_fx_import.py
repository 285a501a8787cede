"""Importing hand-written PyTorch modules: functions and methods, unsupported ops, errors."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from cnnstudio.importing.importer import import_module
from cnnstudio.importing.ops import ModelImportError, UnsupportedOpsError


class Functional(nn.Module):
    """Functions and tensor methods rather than modules, a channels-last LayerNorm, a
    per-channel scale, a concatenation and a padded max pool."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.norm = nn.LayerNorm(8, eps=1e-6)
        self.gamma = nn.Parameter(torch.rand(8, 1, 1) + 0.5)
        self.side = nn.Conv2d(8, 4, 1)
        self.fc = nn.Linear(12, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn(self.conv(x)))
        z = self.norm(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        y = y + self.gamma * z
        y = torch.cat([y, self.side(y).sigmoid()], dim=1)
        y = F.max_pool2d(F.pad(y, (0, 1, 0, 1)), 2)
        y = F.leaky_relu(y, 0.2)
        y = y.mean((2, 3))
        return torch.softmax(self.fc(y), dim=1)


def test_functions_and_methods_become_kinds_and_reproduce_the_module() -> None:
    torch.manual_seed(0)
    module = Functional().eval()
    with torch.no_grad():
        module.bn.running_mean.uniform_(-0.1, 0.1)
        module.bn.running_var.uniform_(0.5, 1.5)
    result = import_module(module, (3, 9, 9))
    kinds = [n.kind for n in result.imported.graph.nodes.values()]
    assert kinds == ["Input", "Conv2d", "BatchNorm", "ReLU", "LayerNorm", "LayerScale", "Add",
                     "Conv2d", "Concat", "ZeroPad2d", "MaxPool2d", "LeakyReLU",
                     "GlobalAvgPool", "Dense"]
    fc = result.imported.graph.by_name("fc")
    assert fc.params["activation"] == "softmax"  # fused
    assert result.imported.graph.by_name("side").params["activation"] == "sigmoid"
    x = torch.randn(3, 3, 9, 9)
    with torch.no_grad():
        torch.testing.assert_close(result.model(x), module(x), atol=1e-5, rtol=1e-5)
    assert result.params == sum(p.numel() for p in module.parameters())


class Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Upsample(scale_factor=2))
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.head(self.body(x))
        return torch.cumsum(y, dim=1) * 2.0


def test_ops_without_a_kind_are_named_together_with_where_they_are() -> None:
    with pytest.raises(UnsupportedOpsError) as info:
        import_module(Unsupported(), (3, 8, 8))
    text = str(info.value)
    assert "body.1 (Upsample)" in text
    assert "cumsum()" in text
    assert "mul with a constant" in text
    assert "3 operations with no layer kind" in text
    assert len(info.value.items) == 3


class DataDependent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.conv(x)
        return self.conv(-x)


def test_an_untraceable_module_is_one_clear_error() -> None:
    with pytest.raises(ModelImportError, match="torch.fx cannot trace"):
        import_module(DataDependent(), (3, 8, 8))


def test_a_module_that_fails_on_the_input_shape_says_so() -> None:
    module = nn.Sequential(nn.Conv2d(3, 4, 5), nn.Flatten(), nn.Linear(100, 2))
    with pytest.raises(ModelImportError, match="fails on an input of shape 3x8x8"):
        import_module(module, (3, 8, 8))
