"""Checks nasc's static complexity of library networks against the reference code, live.

Reads a JSON list of cases from the file given as the only argument. A case is
  {"name": ..., "ref": {...}, "params": N, "flops": N, "activations": N}
with "ref" one of
  {"kind": "torchvision", "model": "regnet_x_400mf", "kwargs": {...}, "resolution": 224,
   "published_config": false}                        torchvision.models.<model>(**kwargs)
  {"kind": "pycls_regnet", "depth": d, "w0": .., "wa": .., "wm": .., "group_width": g, "se": 0|1}
  {"kind": "nb201", "arch": "|nor_conv_3x3~0|+|...|", "C": 16, "N": 5}   xautodl's infer.tiny
  {"kind": "timm", "model": "nasnetalarge", "macs_at": 331}   timm.create_model(<model>); with
   macs_at, also conv + linear multiply-adds counted on the model at that resolution
  {"kind": "timm", "model": "fbnetc_100"}             timm.create_model(model) (parameters)
  {"kind": "nb101", "matrix": [[0, 1, ...], ...], "ops": ["input", ..., "output"]}
                                  nasbench_pytorch's Network((matrix, ops)) (parameters, less
                                  its Placeholder modules' dummy scalars: not the network's)
  {"kind": "ofa", "ks": [20 kernels], "e": [20 ratios], "d": [5 depths]}
                                  the `ofa` package's OFAMobileNetV3 subnet (parameters)
and checks, per case:
  - parameters: equal to the reference model's sum(p.numel()) (every family);
  - torchvision: nasc's multiply-adds within 1% of the weights' published `_ops` (GFLOPS)
    where the model has pretrained weights (or within that figure's rounding: it has 3
    decimals, so 0.040 stands for 0.0395..0.0405);
  - timm with macs_at: multiply-adds equal to those counted on its model;
  - pycls: multiply-adds and activations equal to pycls's own analytic `complexity`, less
    the additions of biased layers (pycls counts them as FLOPs: the classifier's 1000 and, in
    RegNetY, the squeeze-excitation convs') and the classifier's 1000 outputs (pycls counts
    them as activations; nasc counts conv outputs only).
Prints one line per case and exits 1 on any difference.
"""

import json
import sys

import torch


def torchvision_case(ref):
    import torchvision.models as tvm

    kwargs = ref.get("kwargs", {})
    model = getattr(tvm, ref["model"])(**kwargs)
    params = sum(p.numel() for p in model.parameters())
    if kwargs and not ref.get("published_config"):
        # Published figures are for the defaults, or for the kwargs the published weights
        # set (GoogLeNet's weights drop the auxiliary classifiers: `published_config`).
        return {"params": params, "ops": None}
    # The published multiply-adds of the first weights evaluated at 224x224 (the SWAG weights
    # of the largest RegNets are also published at 384x384, with their own `_ops`).
    ops = None
    for w in tvm.get_model_weights(ref["model"]):
        crop = getattr(w.transforms, "keywords", {}).get("crop_size")
        if crop == ref.get("resolution", 224) and "_ops" in w.meta:
            ops = w.meta["_ops"]
            break
    return {"params": params, "ops": ops}


def pycls_regnet_case(ref):
    from pycls.core.config import cfg
    from pycls.models.regnet import RegNet

    cfg.MODEL.NUM_CLASSES = 1000
    cfg.REGNET.DEPTH = ref["depth"]
    cfg.REGNET.W0 = ref["w0"]
    cfg.REGNET.WA = ref["wa"]
    cfg.REGNET.WM = ref["wm"]
    cfg.REGNET.GROUP_W = ref["group_width"]
    cfg.REGNET.SE_ON = bool(ref["se"])
    model = RegNet()
    params = sum(p.numel() for p in model.parameters())
    cx = {"h": 224, "w": 224, "flops": 0, "params": 0, "acts": 0}
    cx = RegNet.complexity(cx)
    # pycls counts a biased layer's additions as FLOPs; every biased layer of a RegNet (the
    # squeeze-excitation convs and the classifier) has one output position, so they number
    # exactly its bias parameters. nasc counts multiply-adds only.
    biases = sum(m.bias.numel() for m in model.modules() if getattr(m, "bias", None) is not None and not isinstance(m, torch.nn.BatchNorm2d))
    return {
        "params": params,
        "analytic_params": cx["params"],
        "flops": cx["flops"] - biases,
        "activations": cx["acts"] - 1000,
    }


def conv_linear_macs(model, res):
    """Multiply-adds of every conv and linear layer on one res x res image (nasc's FLOPs)."""
    macs = 0

    def hook(m, _, out):
        nonlocal macs
        if isinstance(m, torch.nn.Conv2d):
            kh, kw = m.kernel_size
            macs += out.numel() * (m.in_channels // m.groups) * kh * kw
        else:
            macs += out.numel() * m.in_features

    kinds = (torch.nn.Conv2d, torch.nn.Linear)
    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, kinds)]
    with torch.no_grad():
        model.eval()(torch.zeros(1, 3, res, res))
    for h in hooks:
        h.remove()
    return macs


def timm_case(ref):
    import timm

    model = timm.create_model(ref["model"], pretrained=False)
    r = {"params": sum(p.numel() for p in model.parameters())}
    if "macs_at" in ref:
        # timm publishes no multiply-adds: counted on its model, conv and linear layers.
        r["flops"] = conv_linear_macs(model, ref["macs_at"])
    return r


_OFA = {}


def ofa_case(ref):
    from ofa.imagenet_classification.elastic_nn.networks import OFAMobileNetV3

    if "net" not in _OFA:
        _OFA["net"] = OFAMobileNetV3(
            dropout_rate=0, width_mult=1.0, ks_list=[3, 5, 7], expand_ratio_list=[3, 4, 6], depth_list=[2, 3, 4]
        )
    net = _OFA["net"]
    net.set_active_subnet(ks=ref["ks"], e=ref["e"], d=ref["d"])
    sub = net.get_active_subnet(preserve_weight=False)
    return {"params": sum(p.numel() for p in sub.parameters())}


def nb101_case(ref):
    from nasbench_pytorch.model import Network
    from nasbench_pytorch.model.model import Placeholder

    net = Network((ref["matrix"], ref["ops"]))
    total = sum(p.numel() for p in net.parameters())
    # nasbench_pytorch gives every Placeholder (an input or op slot without a module) a
    # learnable scalar that no computation uses; nasbench's TensorFlow model has none.
    dummy = sum(p.numel() for m in net.modules() if isinstance(m, Placeholder) for p in m.parameters(recurse=False))
    return {"params": total - dummy}


def nb201_case(ref):
    from xautodl.config_utils import dict2config
    from xautodl.models import get_cell_based_tiny_net
    from xautodl.models.cell_searchs.genotypes import Structure

    genotype = Structure.str2structure(ref["arch"])
    config = {"name": "infer.tiny", "C": ref["C"], "N": ref["N"], "genotype": genotype, "num_classes": 10}
    model = get_cell_based_tiny_net(dict2config(config, None))
    return {"params": sum(p.numel() for p in model.parameters())}


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    torch.manual_seed(0)
    bad = 0
    for c in cases:
        ref = c["ref"]
        kind = ref["kind"]
        if kind == "torchvision":
            r = torchvision_case(ref)
        elif kind == "pycls_regnet":
            r = pycls_regnet_case(ref)
        elif kind == "nb201":
            r = nb201_case(ref)
        elif kind == "timm":
            r = timm_case(ref)
        elif kind == "ofa":
            r = ofa_case(ref)
        elif kind == "nb101":
            r = nb101_case(ref)
        else:
            raise SystemExit(f"{c['name']}: unknown reference kind {kind}")
        problems = []
        if r["params"] != c["params"]:
            problems.append(f"params nasc {c['params']:,} != reference {r['params']:,}")
        if r.get("analytic_params") not in (None, r["params"]):
            problems.append(f"pycls's analytic params {r['analytic_params']:,} != its model's")
        if r.get("ops") is not None:
            # `_ops` is published to 3 decimals (GFLOPS): within 1%, or within its rounding.
            gap = abs(c["flops"] / 1e9 - r["ops"])
            rel = gap / r["ops"]
            if rel >= 0.01 and gap > 0.0005:
                problems.append(f"MACs nasc {c['flops'] / 1e9:.3f} G vs published _ops {r['ops']} ({rel:.2%})")
        for key in ("flops", "activations"):
            if key in r and r[key] != c[key]:
                problems.append(f"{key} nasc {c[key]:,} != reference {r[key]:,}")
        status = "ok" if not problems else "DIFF " + "; ".join(problems)
        shown = f"{r['params']:,} params" + (f", _ops {r['ops']}" if r.get("ops") else "")
        print(f"{c['name']:<40} {kind:<13} {shown:<36} {status}")
        bad += bool(problems)
    print(f"{len(cases) - bad} of {len(cases)} cases equal to the reference")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
