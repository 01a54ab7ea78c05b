#!/usr/bin/env python3
"""The reference side of "the same function" (crates/nasc/tests/weights/main.rs).

Reads a JSON list of cases, each {"name", "dir", "ref": {...}} where `dir` holds the module
`nasc build --emit pytorch` wrote (`model.py`) and `ref` names the reference model:

  {"kind": "torchvision", "model": "resnet50", "kwargs": {...}}   torchvision.models.<model>
  {"kind": "nb201", "arch": "|nor_conv_3x3~0|+|...|", "C": 16, "N": 5}   xautodl's infer.tiny

For each: builds the reference with random weights and random batch-norm statistics (so that
eval mode is not batch norm's identity), maps its weights onto the generated module's keys
with scripts/torch_weights.py (by the order the two forward passes use their layers), checks
that the mapped PyTorch module computes the reference's eval-mode logits, and writes
`weights.pth` (the mapped state_dict, as a user would save it) and `io.safetensors` (a random
input `x` and the reference's logits `logits`) into `dir`. nasc's side — `nasc import-weights`
through burn-store, then its runtime model on `x` — is the Rust test's.

Prints one JSON line per case; exits 1 if any case fails.
"""

import json
import pathlib
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
import torch_weights


def reference(ref):
    if ref["kind"] == "torchvision":
        import torchvision.models as tvm

        return getattr(tvm, ref["model"])(**ref.get("kwargs", {}))
    if ref["kind"] == "nb201":
        from xautodl.config_utils import dict2config
        from xautodl.models import get_cell_based_tiny_net
        from xautodl.models.cell_searchs.genotypes import Structure

        genotype = Structure.str2structure(ref["arch"])
        config = {
            "name": "infer.tiny",
            "C": ref["C"],
            "N": ref["N"],
            "genotype": genotype,
            "num_classes": 10,
        }
        return get_cell_based_tiny_net(dict2config(config, None))
    raise ValueError(f"unknown reference kind {ref['kind']}")


def randomise(model):
    """Random norm statistics and affine parameters, and layer scales of a size that matters."""
    g = torch.Generator().manual_seed(0)

    def u(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g) * (hi - lo) + lo)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                u(m.running_mean, -0.5, 0.5)
                u(m.running_var, 0.5, 2.0)
                if m.affine:
                    u(m.weight, 0.5, 1.5)
                    u(m.bias, -0.5, 0.5)
            elif isinstance(m, torch.nn.LayerNorm):
                u(m.weight, 0.5, 1.5)
                u(m.bias, -0.5, 0.5)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                u(p, 0.05, 0.3)


def run(case):
    torch.manual_seed(0)
    d = pathlib.Path(case["dir"])
    mod = torch_weights.load_module(d / "model.py")
    net = mod.Net()
    ref = reference(case["ref"])
    randomise(ref)
    x = torch.randn(2, *mod.INPUT_SHAPE)
    state = torch_weights.map_state(ref, net, x)
    diff, scale = torch_weights.check_same(ref, net, state, x)
    torch.save(state, d / "weights.pth")
    with torch.no_grad():
        logits = ref.eval()(x)
    if isinstance(logits, (tuple, list)):
        logits = logits[-1]
    save_file(
        {"x": x.contiguous(), "logits": logits.contiguous()}, d / "io.safetensors"
    )
    return {"tensors": len(state), "torch_max_diff": diff, "max_logit": scale}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    failed = False
    for case in cases:
        try:
            r = {"name": case["name"], "ok": True, **run(case)}
        except Exception as e:  # noqa: BLE001 - reported per case
            r = {"name": case["name"], "ok": False, "error": f"{type(e).__name__}: {e}"}
            failed = True
        print(json.dumps(r), flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
