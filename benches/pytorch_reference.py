#!/usr/bin/env python3
"""PyTorch reference for nasc's benchmarks, run by hand, not by CI.

Runs the PyTorch module nasc generates for a spec (`nasc build SPEC --emit pytorch`): the
code a user of nasc gets, the same network as `nasc bench` trains (checked against nasc's
runtime model by crates/nasc/tests/cli/export.rs). Measures training throughput (images/s,
forward + backward + Adam step) and inference latency, like `nasc bench`, in eager mode or,
with --compile, under torch.compile (its compilation happens in the warm-up steps).

    nasc build specs/randwire_ws_fmnist.nas --emit pytorch -o /tmp/fmnist.py
    python3 benches/pytorch_reference.py /tmp/fmnist.py --batch-size 128 --steps 10 [--compile] [--device cuda]

A JSON IR (`--emit json`) is still accepted: the network rebuilt by interpreting the IR, as
the figures in BENCHMARKS.md before 2026-12-06 were measured.
"""
import argparse, importlib.util, json, statistics, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def top_k_edges(w, keep, per_node):
    """DNW's straight-through top-k as nasc computes it (nasc-burn ops/shared.rs): w on the
    `keep` edges of largest |w| (over the stage, or per target node: edges v(v-1)/2 ..
    v(v+1)/2), zero elsewhere, ties to the lower index; the gradient reaches every edge."""
    host = w.detach().abs().cpu().tolist()
    e = len(host)
    if per_node:
        ranges, v = [], 1
        while v * (v - 1) // 2 < e:
            ranges.append((v * (v - 1) // 2, min(v * (v + 1) // 2, e)))
            v += 1
    else:
        ranges = [(0, e)]
    drop = [1.0] * e
    for a, b in ranges:
        for i in sorted(range(a, b), key=lambda i: (-host[i], i))[:keep]:
            drop[i] = 0.0
    return w - w.detach() * torch.tensor(drop, device=w.device)


class IrNet(nn.Module):
    def __init__(self, ir):
        super().__init__()
        self.nodes = ir["nodes"]
        self.inputs = {n["id"]: [] for n in self.nodes}
        for e in sorted(ir["edges"], key=lambda e: (e["to"], e["port"])):
            self.inputs[e["to"]].append(e["from"])
        self.mods = nn.ModuleDict()
        self.mix = nn.ParameterDict()
        for n in self.nodes:
            k, op = str(n["id"]), n["op"]
            if op == "conv2d":
                self.mods[k] = nn.Conv2d(n["in_channels"], n["out_channels"], n["kernel"], n["stride"],
                                         n["padding"], n["dilation"], n["groups"], n["bias"])
            elif op == "batch_norm":
                self.mods[k] = nn.BatchNorm2d(n["channels"])
            elif op == "linear":
                self.mods[k] = nn.Linear(n["in_features"], n["out_features"], n["bias"])
            elif op == "max_pool2d":
                self.mods[k] = nn.MaxPool2d(n["kernel"], n["stride"], n["padding"])
            elif op == "avg_pool2d":
                self.mods[k] = nn.AvgPool2d(n["kernel"], n["stride"], n["padding"],
                                            count_include_pad=n.get("count_include_pad", True))
            elif op == "dropout":
                self.mods[k] = nn.Dropout(n["p"])
            elif op in ("weighted_sum", "scaled_sum"):
                self.mix[k] = nn.Parameter(torch.zeros(n["inputs"]))
            elif op == "edge_weights":  # a learned wiring's edges (DNW), uniform in [-1, 1)
                self.mix[k] = nn.Parameter(torch.rand(n["edges"]) * 2 - 1)
        self.uses = {n["id"]: 0 for n in self.nodes}
        for ins in self.inputs.values():
            for i in ins:
                self.uses[i] += 1

    def forward(self, x):
        vals, left = {}, dict(self.uses)
        for n in self.nodes:
            i, op, k = n["id"], n["op"], str(n["id"])
            ins = []
            for j in self.inputs[i]:
                ins.append(vals[j])
                left[j] -= 1
                if left[j] == 0:
                    del vals[j]
            if op == "input":
                y = x
            elif k in self.mods:
                y = self.mods[k](ins[0])
                if n.get("relu"):  # a conv with a fused ReLU (the conv_relu pass, -O2)
                    y = F.relu(y)
            elif op == "relu":
                y = F.relu(ins[0])
            elif op == "sigmoid":
                y = torch.sigmoid(ins[0])
            elif op == "global_avg_pool":
                y = ins[0].mean(dim=(2, 3))
            elif op == "global_avg_pool2d":
                y = ins[0].mean(dim=(2, 3), keepdim=True)
            elif op == "mul":
                y = ins[0] * ins[1]
            elif op == "flatten":
                y = ins[0].flatten(1)
            elif op in ("identity", "output"):
                y = ins[0]
            elif op == "add":
                y = sum(ins)
            elif op == "mean":
                y = sum(ins) / len(ins)
            elif op == "concat":
                y = torch.cat(ins, 1)
            elif op == "zero":
                s = n["stride"]
                y = ins[0][:, :, ::s, ::s].mul(0.0)
            elif op == "shift":
                y = F.pad(ins[0][:, :, 1:, 1:], (0, 1, 0, 1))
            elif op == "weighted_sum":
                w = torch.sigmoid(self.mix[k])
                y = sum(w[t] * v for t, v in enumerate(ins))
            elif op == "scaled_sum":
                w = self.mix[k]
                y = sum(w[t] * v for t, v in enumerate(ins))
            elif op == "edge_weights":
                y = top_k_edges(self.mix[k], n["keep"], n["select"] == "per_node")
            elif op == "wired_sum":  # port 0: the masked edge weights; feature maps follow
                w, first = ins[0], n["first"]
                y = sum(w[first + t] * v for t, v in enumerate(ins[1:]))
            else:
                sys.exit(f"unsupported op {op}")
            vals[i] = y
        return vals[self.nodes[-1]["id"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", help="a generated module (.py) or a JSON IR (.json)")
    ap.add_argument("--compile", action="store_true", help="run under torch.compile")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    if a.model.endswith(".py"):
        spec = importlib.util.spec_from_file_location("nasc_generated", a.model)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        net, (c, h, w), classes = mod.Net().to(dev), mod.INPUT_SHAPE, mod.NUM_CLASSES
        name, source = mod.__doc__.split("`")[1], "generated module"
    else:
        ir = json.load(open(a.model))
        net, (c, h, w), classes = IrNet(ir).to(dev), ir["input"], ir["classes"]
        name, source = ir["network"], "JSON IR interpreted"
    params = sum(p.numel() for p in net.parameters())
    x = torch.randn(a.batch_size, c, h, w, device=dev)
    y = torch.randint(0, classes, (a.batch_size,), device=dev)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    run = torch.compile(net) if a.compile else net
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(run(x), y)
        loss.backward()
        opt.step()
        loss.item()

    net.train()
    for _ in range(3 if a.compile else 2):
        step()
    sync()
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    sync()
    ips = a.steps * a.batch_size / (time.perf_counter() - t)
    net.eval()

    def lat(b):
        xb = x[:b]
        with torch.no_grad():
            run(xb); run(xb); sync()
            v = []
            for _ in range(max(a.steps, 3)):
                t = time.perf_counter(); run(xb); sync(); v.append((time.perf_counter() - t) * 1e3)
        return statistics.median(v)

    mode = "torch.compile" if a.compile else "eager"
    print(json.dumps({"network": name, "framework": f"pytorch {torch.__version__} {mode} ({source})",
                      "device": str(dev), "threads": torch.get_num_threads(), "params": params,
                      "batch_size": a.batch_size, "train_images_per_sec": round(ips, 1),
                      "infer_batch_ms": round(lat(a.batch_size), 2), "infer_single_ms": round(lat(1), 3)}))


if __name__ == "__main__":
    main()
