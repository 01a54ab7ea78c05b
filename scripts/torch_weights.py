#!/usr/bin/env python3
"""Maps a PyTorch model's weights onto the module `nasc build --emit pytorch` generates for the
same network, so that `nasc import-weights` / `nasc train --init` can read them.

    nasc build zoo/resnet.nas --preset resnet50 --emit pytorch -o resnet50.py
    python scripts/torch_weights.py resnet50.py torchvision.models.resnet50 \
        --weights IMAGENET1K_V2 -o resnet50.pth
    nasc import-weights zoo/resnet.nas --preset resnet50 resnet50.pth -o resnet50.bpk

How: both models run one eval-mode forward pass on the same random input under a
TorchFunctionMode that records which parameterised layer's output reaches which layer's
input (through any parameter-free operations) and the order layers are first used. Tensors
are grouped by the layer that owns them (a module without submodules: its parameters and
buffers together, `num_batches_tracked` included; a parameter a container owns directly, such
as ConvNeXt's layer scale, alone). Colour refinement over the two layer graphs together pairs
each reference layer with nasc's layer of the same sizes in the same place between input and
logits — so branches evaluated in another order (torchvision's RegNet computes a block's
shortcut first, nasc the body) still pair up — and first-use order breaks ties. Each pair
must agree in tensor count and element counts (a linear layer may be a 1x1 convolution on
the other side; a [C, 1, 1] scale a [C] one). The mapped module must then compute the
reference's logits (eval mode): a mapping that only lines shapes up is refused.

Needs only torch (and the reference model's package). Exit 1 with the reason when the two
models differ.
"""

import argparse
import importlib
import importlib.util
import sys

import torch
from torch.overrides import TorchFunctionMode


class Mismatch(Exception):
    """The two models cannot be mapped onto each other."""


class _Trace(TorchFunctionMode):
    """Records, for each parameterised layer (group), which layers' outputs reach its input
    through parameter-free operations, and the order layers are first used."""

    def __init__(self, ids, x):
        super().__init__()
        self.ids = ids
        self.order = []
        self.preds = {}
        self.src = {id(x): frozenset(["<input>"])}
        self.keep = [x]  # keeps ids unique while the trace runs

    def _tensors(self, x, out):
        if isinstance(x, torch.Tensor):
            out.append(x)
        elif isinstance(x, (list, tuple)):
            for y in x:
                self._tensors(y, out)
        elif isinstance(x, dict):
            for y in x.values():
                self._tensors(y, out)
        return out

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        ins = self._tensors((args, kwargs), [])
        result = func(*args, **kwargs)
        groups = [self.ids[id(t)] for t in ins if id(t) in self.ids]
        if groups and len(groups) == len(ins):
            # Only parameters in (a scale reshaped before use): the result stands for them.
            for t in self._tensors(result, []):
                self.ids[id(t)] = groups[0]
                self.keep.append(t)
            return result
        sources = frozenset().union(*(self.src.get(id(t), frozenset()) for t in ins))
        if groups:
            g = groups[0]
            if g not in self.preds:
                self.order.append(g)
                self.preds[g] = set()
            self.preds[g] |= sources
            sources = frozenset([g])
        for t in self._tensors(result, []):
            if id(t) not in self.ids:
                self.src[id(t)] = sources
                self.keep.append(t)
        return result


def groups(model):
    """Group key -> the state_dict keys of that group, and tensor id -> group key."""
    members, ids = {}, {}
    for mname, m in model.named_modules():
        leaf = not any(True for _ in m.children())
        own = list(m.named_parameters(recurse=False)) + list(
            m.named_buffers(recurse=False)
        )
        for pname, t in own:
            key = f"{mname}.{pname}" if mname else pname
            g = mname if leaf else key
            members.setdefault(g, []).append(key)
            ids[id(t)] = g
    return members, ids


def layer_graph(model, x):
    """The layers (groups) of `model` in first-use order, each with its keys and the layers
    feeding it, from one forward pass; and the groups it never uses."""
    members, ids = groups(model)
    trace = _Trace(dict(ids), x)
    with torch.no_grad(), trace:
        model(x)
    unused = [g for g in members if g not in trace.preds]
    return trace.order, members, trace.preds, unused


def colours(order, sizes, preds):
    """Colour refinement (1-WL) of the layer graph, both directions: a layer's colour says
    what it is (its tensors' sizes) and, after the rounds, where it sits between the input
    and the logits. Equal colours on the two sides are the candidates to pair."""
    succs = {g: [] for g in order}
    for g in order:
        for p in preds[g]:
            if p in succs:
                succs[p].append(g)
    col = {g: str(sizes[g]) for g in order}
    col["<input>"] = "<input>"
    for _ in range(len(order) + 1):
        new = {"<input>": "<input>"}
        for g in order:
            ps = sorted(col[p] for p in preds[g])
            ss = sorted(col[s] for s in succs[g])
            new[g] = str(hash((col[g], tuple(ps), tuple(ss))))
        if len(set(new.values())) == len(set(col.values())):
            return new
        col = new
    return col


def map_state(reference, nasc_net, x):
    """The reference's weights under `nasc_net`'s state_dict keys: layers paired by their
    place in the dataflow between input and logits (the order the forward passes use them
    breaks ties)."""
    reference.eval()
    nasc_net.eval()
    src, ours = reference.state_dict(), nasc_net.state_dict()
    r_order, r_members, r_preds, r_unused = layer_graph(reference, x)
    o_order, o_members, o_preds, _ = layer_graph(nasc_net, x)
    r_unused = [g for g in r_unused if any(src[k].numel() for k in r_members[g])]
    if r_unused:
        raise Mismatch(
            f"the reference's forward pass never uses {', '.join(r_unused[:5])}"
        )
    if len(r_order) != len(o_order):
        raise Mismatch(
            f"the reference has {len(r_order)} parameterised layers in its forward pass, "
            f"nasc's module {len(o_order)}"
        )

    # One refinement over both graphs together, so that colours are comparable.
    def side(tag, order, members, preds, state):
        nodes = [(tag, g) for g in order]
        sizes = {(tag, g): tuple(state[k].numel() for k in members[g]) for g in order}
        edges = {
            (tag, g): {p if p == "<input>" else (tag, p) for p in preds[g]}
            for g in order
        }
        return nodes, sizes, edges

    r_nodes, r_sizes, r_edges = side("r", r_order, r_members, r_preds, src)
    o_nodes, o_sizes, o_edges = side("o", o_order, o_members, o_preds, ours)
    col = colours(r_nodes + o_nodes, {**r_sizes, **o_sizes}, {**r_edges, **o_edges})
    pending = {}
    for g in o_order:
        pending.setdefault(col[("o", g)], []).append(g)
    out = {}
    for rg in r_order:
        bucket = pending.get(col[("r", rg)])
        if not bucket:
            raise Mismatch(
                f"reference layer `{rg}` has no counterpart in nasc's module"
            )
        og = bucket.pop(0)
        rkeys, okeys = r_members[rg], o_members[og]
        if len(rkeys) != len(okeys):
            raise Mismatch(f"reference `{rg}` has {rkeys}, nasc's `{og}` has {okeys}")
        for rk, ok in zip(rkeys, okeys):
            want, t = ours[ok], src[rk]
            if t.numel() != want.numel():
                raise Mismatch(
                    f"reference `{rk}` {tuple(t.shape)} vs nasc's `{ok}` {tuple(want.shape)}"
                )
            out[ok] = t.detach().clone().reshape(want.shape).to(want.dtype)
    return out


def check_same(reference, nasc_net, state, x, tol=1e-4):
    """Loads `state` into `nasc_net` and compares eval-mode logits with the reference's."""
    nasc_net.load_state_dict(state, strict=True)
    with torch.no_grad():
        a = reference.eval()(x)
        b = nasc_net.eval()(x)
    if isinstance(a, (tuple, list)):
        a = a[-1]
    diff = (a - b).abs().max().item()
    scale = a.abs().max().item()
    if diff > tol * max(scale, 1e-12):
        raise Mismatch(
            f"the mapped module does not compute the reference's logits (max |diff| {diff:.3g}, "
            f"max |logit| {scale:.3g}): the networks differ in something no tensor size shows "
            "(a batch norm's eps, a padding, an activation) or two layers were paired wrongly"
        )
    return diff, scale


def load_module(path):
    spec = importlib.util.spec_from_file_location("nasc_generated", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def reference_model(dotted, weights):
    mod, _, fn = dotted.rpartition(".")
    ctor = getattr(importlib.import_module(mod), fn)
    return ctor(weights=weights) if weights else ctor()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("module", help="the module `nasc build --emit pytorch` wrote")
    ap.add_argument(
        "reference",
        help="the reference model's constructor, e.g. torchvision.models.resnet50",
    )
    ap.add_argument("--weights", help="its `weights=` argument (e.g. IMAGENET1K_V2)")
    ap.add_argument("--state", help="or a state_dict file to load into it")
    ap.add_argument("-o", "--output", required=True, help="the .pth to write")
    a = ap.parse_args()
    mod = load_module(a.module)
    net = mod.Net()
    ref = reference_model(a.reference, a.weights)
    if a.state:
        ref.load_state_dict(torch.load(a.state, map_location="cpu"))
    x = torch.randn(2, *mod.INPUT_SHAPE)
    try:
        state = map_state(ref, net, x)
        diff, scale = check_same(ref, net, state, x)
    except Mismatch as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    torch.save(state, a.output)
    print(
        f"wrote {a.output} ({len(state)} tensors; logits equal: max |diff| {diff:.2e} of {scale:.2e})"
    )


if __name__ == "__main__":
    main()
