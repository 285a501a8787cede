"""Graph -> ``torch.nn.Module``: ``build_model`` compiles a valid graph through torch.fx.

The result is a ``torch.fx.GraphModule`` whose forward takes one argument ``x`` (a batch
``(N, C, H, W)``) and whose generated code (``model.code``) runs the nodes in topological
order. It is traceable by ``torch.export`` / dynamo (ONNX) and scriptable by TorchScript.

State-dict contract (see notes/CORE-API.md): every node with a module is a submodule named
after the node, so a Conv2d node ``conv1`` has keys ``conv1.weight`` and ``conv1.bias``.
Naming rule: a node whose name is an attribute of ``nn.Module`` or ``fx.GraphModule``
(``training``, ``forward``, ``eval``, ``to``, ``code``, ``graph``, ``meta``, ...), is a name
TorchScript's saved code uses (``self``, ``torch``, ``ops``, ``math``, ...; see
``TORCHSCRIPT_NAMES``) or begins with an underscore becomes the attribute ``name + "_"``
(more underscores until it clashes with no other node); ``compile_info(model).attrs`` maps
node names to attribute names, and such a node's keys use the attribute name
(``training_.weight``). A name that is not a plain ASCII identifier (the graph refuses them;
this guards torch.fx, which writes attribute names into the Python code it runs) becomes
``layer_<i>``, ``i`` its position in the graph.

Softmax rule: ``for_training=True`` leaves out a final Softmax (the output node when it is a
Softmax node, or its fused activation when that is ``softmax``) so the loss sees logits;
``for_training=False`` (inference, every export) keeps it. Weights and buffers are the same
either way. Parameters start from PyTorch's default initialisation (LayerScale from its
``init_value``); a node with ``trainable`` False has ``requires_grad`` False (BatchNorm running
statistics still follow ``train()``/``eval()``, as in PyTorch).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from functools import cache

import torch
from torch import fx, nn

from cnnstudio.compiler.codegen import is_identifier
from cnnstudio.compiler.errors import CompileError
from cnnstudio.compiler.lowering import ACTIVATIONS, Step, lower, run_step
from cnnstudio.compiler.memory import physical_memory, weights_issue
from cnnstudio.core.graph import Graph
from cnnstudio.core.layers import Shape
from cnnstudio.core.retarget import classifier_node
from cnnstudio.core.shapes import Analysis, Issue, analyse

META_KEY = "cnnstudio"
INPUT_NAME = "x"


@dataclass
class CompileInfo:
    """What a compiled model remembers of its graph (plain data; kept through deepcopy)."""

    input_shape: Shape
    output_shape: Shape
    output: str                      # output node name
    for_training: bool
    attrs: dict[str, str]            # node name -> attribute name
    node_ids: dict[str, str]         # node name -> node id
    kinds: dict[str, str]            # node name -> kind
    shapes: dict[str, Shape]         # node name -> output shape (without the batch)
    steps: list[Step] = field(default_factory=list)  # without their modules
    head: str | None = None          # the classifier node's name (core.retarget)

    @property
    def names(self) -> dict[str, str]:
        """Attribute name -> node name (the inverse of ``attrs``)."""
        return {a: n for n, a in self.attrs.items()}


#: names TorchScript's saved code uses itself: a submodule so named breaks torch.jit.load
TORCHSCRIPT_NAMES = ("self", "torch", "ops", "math", "builtins", "annotate", "uninitialized",
                     "CONSTANTS")


@cache
def reserved_names() -> frozenset[str]:
    """Names a node cannot use as an attribute of the compiled module."""
    sample = fx.GraphModule(nn.Module(), fx.Graph())
    return frozenset(dir(nn.Module()) + dir(sample) + list(vars(sample)) + [META_KEY]
                     + list(TORCHSCRIPT_NAMES))


def attribute_names(graph: Graph) -> dict[str, str]:
    """Node name -> attribute name, following the module docstring's rule."""
    taken = {n.name for n in graph.nodes.values()}
    reserved = reserved_names()
    out: dict[str, str] = {}
    for i, node in enumerate(graph.nodes.values()):
        name = node.name
        if not is_identifier(name):
            name = f"layer_{i}"
            while name in taken:
                name += "_"
            taken.add(name)
        elif name in reserved or name.startswith("_"):
            attr = name + "_"
            while attr in taken or attr in reserved:
                attr += "_"
            taken.add(attr)
            name = attr
        out[node.name] = name
    return out


def check(graph: Graph) -> Analysis:
    """The shape analysis of ``graph``, or ``CompileError`` listing its problems by node
    (weights too large for this machine's memory included: see ``memory``)."""
    analysis = analyse(graph)
    if not analysis.ok:
        raise CompileError(graph, [i for i in analysis.issues if i.severity == "error"])
    if analysis.output_id is None:
        raise CompileError(graph, [Issue(None, "The network has no layers after its Input.",
                                         fix="Add a layer and connect the Input to it.")])
    too_big = weights_issue(graph, analysis, physical_memory())
    if too_big is not None:
        raise CompileError(graph, [too_big])
    return analysis


def plan(graph: Graph, analysis: Analysis, for_training: bool) -> list[Step]:
    """One ``Step`` per node in topological order (modules freshly initialised)."""
    attrs = attribute_names(graph)
    steps = []
    for nid in analysis.order:
        node = graph.nodes[nid]
        srcs = [e.src for e in graph.inputs_of(nid) if e is not None]
        shapes = [analysis.infos[s].shape for s in srcs]
        drop = for_training and nid == analysis.output_id
        steps.append(lower(node, shapes, attrs[node.name], srcs, drop))  # type: ignore[arg-type]
    return steps


def _emit(g: fx.Graph, step: Step, args: list[fx.Node]) -> fx.Node:
    name = step.attr
    if step.merge == "concat":
        return g.create_node("call_function", torch.cat, (args,), {"dim": 1}, name=name)
    if step.merge is not None:
        op = operator.add if step.merge == "add" else operator.mul
        out = args[0]
        for i, arg in enumerate(args[1:], start=2):
            last = i == len(args)
            out = g.create_node("call_function", op, (out, arg),
                                name=name if last else f"{name}_{i}")
        return out
    x = args[0]
    last = (step.module is None and step.activation is None)
    if step.pad is not None:
        x = g.create_node("call_function", torch.nn.functional.pad, (x, step.pad),
                          {"value": step.pad_value}, name=f"{name}_pad")
    if step.module is not None:
        last = step.activation is None
        x = g.create_node("call_module", step.attr, (x,),
                          name=name if last else f"{name}_{step.kind.lower()}")
    if step.activation is not None:
        fn, kwargs = ACTIVATIONS[step.activation]
        x = g.create_node("call_function", fn, (x,), dict(kwargs), name=name)
    return x


def assemble(steps: list[Step], output_id: str, class_name: str = "CompiledNet") -> fx.GraphModule:
    """Build the GraphModule running ``steps`` (their modules become its submodules)."""
    root = nn.Module()
    g = fx.Graph()
    values: dict[str, fx.Node] = {}
    for step in steps:
        if step.kind == "Input":
            values[step.node_id] = g.placeholder(INPUT_NAME)
            continue
        if step.module is not None:
            root.add_module(step.attr, step.module)
        values[step.node_id] = _emit(g, step, [values[s] for s in step.inputs])
    g.output(values[output_id])
    return fx.GraphModule(root, g, class_name=class_name)


def build_model(graph: Graph, *, for_training: bool = False) -> fx.GraphModule:
    """Compile a valid ``graph``; ``CompileError`` (listing issues by node) otherwise."""
    analysis = check(graph)
    steps = plan(graph, analysis, for_training)
    assert analysis.output_id is not None and analysis.input_shape is not None
    model = assemble(steps, analysis.output_id)
    attrs = {s.name: s.attr for s in steps}
    info = CompileInfo(
        input_shape=analysis.input_shape,
        output_shape=analysis.output_shape or (),
        output=graph.nodes[analysis.output_id].name,
        for_training=for_training,
        attrs=attrs,
        node_ids={s.name: s.node_id for s in steps},
        kinds={s.name: s.kind for s in steps},
        shapes={graph.nodes[n].name: analysis.infos[n].shape  # type: ignore[misc]
                for n in analysis.order},
        steps=[_bare(s) for s in steps],
        head=head.name if (head := classifier_node(graph)) is not None else None,
    )
    model.meta[META_KEY] = info
    return model


def _bare(step: Step) -> Step:
    return Step(step.node_id, step.name, step.kind, step.attr, list(step.inputs), None,
                step.pad, step.pad_value, step.merge, step.activation)


def compile_info(model: nn.Module) -> CompileInfo:
    """The ``CompileInfo`` of a model made by ``build_model`` (through DDP and the like)."""
    while not isinstance(model, fx.GraphModule) or META_KEY not in model.meta:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if not isinstance(inner, nn.Module):
            raise TypeError("not a model compiled by cnnstudio.compiler.build_model")
        model = inner
    return model.meta[META_KEY]  # type: ignore[no-any-return]


def node_outputs(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Run ``model`` on ``x`` step by step and return every node's output by node name
    (the Input node's is ``x``; a dropped final Softmax's is its input, the logits)."""
    info = compile_info(model)
    modules = dict(model.named_children())
    values: dict[str, torch.Tensor] = {}
    by_id: dict[str, torch.Tensor] = {}
    for step in info.steps:
        if step.kind == "Input":
            out = x
        else:
            out = run_step(step, modules.get(step.attr), [by_id[s] for s in step.inputs])
        by_id[step.node_id] = out
        values[step.name] = out
    return values
