#!/usr/bin/env python3
"""An independent PyTorch model of DARTS's evaluation networks (NetworkCIFAR and
NetworkImageNet of the DARTS reference code, `cnn/model.py` and `cnn/operations.py`, written
here from their description in papers.md §2 — not built from nasc's IR), to cross-check
nasc's parameter counts of specs/darts_v2_cifar.nas and specs/darts_v2_imagenet.nas and to
time PyTorch on the same network. Run by hand (needs torch), not by CI:

    python3 benches/darts_reference.py [--device cuda] [--batch-size 64] [--steps 10]
"""
import argparse, json, time

import torch
import torch.nn as nn
import torch.nn.functional as F

NORMAL = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
          ("sep_conv_3x3", 1), ("skip_connect", 0), ("skip_connect", 0), ("dil_conv_3x3", 2)]
REDUCE = [("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 1),
          ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 2), ("max_pool_3x3", 1)]
CONCAT = [2, 3, 4, 5]


def relu_conv_bn(cin, cout, k, stride, pad):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(cin, cout, k, stride, pad, bias=False), nn.BatchNorm2d(cout))


class FactorizedReduce(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout // 2, 1, 2, bias=False)
        self.c2 = nn.Conv2d(cin, cout - cout // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        x = F.relu(x)
        return self.bn(torch.cat([self.c1(x), self.c2(x[:, :, 1:, 1:])], 1))


def sep_conv(c, k, stride):
    p = k // 2
    return nn.Sequential(
        nn.ReLU(), nn.Conv2d(c, c, k, stride, p, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c),
        nn.ReLU(), nn.Conv2d(c, c, k, 1, p, groups=c, bias=False), nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))


def dil_conv(c, k, stride):
    return nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, k, stride, 2 * (k // 2), dilation=2, groups=c, bias=False),
                         nn.Conv2d(c, c, 1, bias=False), nn.BatchNorm2d(c))


def make_op(name, c, stride):
    if name == "sep_conv_3x3":
        return sep_conv(c, 3, stride)
    if name == "dil_conv_3x3":
        return dil_conv(c, 3, stride)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, 1)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    raise ValueError(name)


class Cell(nn.Module):
    def __init__(self, geno, cpp, cp, c, reduction, reduction_prev):
        super().__init__()
        self.pre0 = FactorizedReduce(cpp, c) if reduction_prev else relu_conv_bn(cpp, c, 1, 1, 0)
        self.pre1 = relu_conv_bn(cp, c, 1, 1, 0)
        self.ops = nn.ModuleList(make_op(n, c, 2 if reduction and i < 2 else 1) for n, i in geno)
        self.idx = [i for _, i in geno]

    def forward(self, s0, s1):
        st = [self.pre0(s0), self.pre1(s1)]
        for b in range(len(self.ops) // 2):
            st.append(self.ops[2 * b](st[self.idx[2 * b]]) + self.ops[2 * b + 1](st[self.idx[2 * b + 1]]))
        return torch.cat([st[i] for i in CONCAT], 1)


class Network(nn.Module):
    def __init__(self, c, layers, classes, imagenet):
        super().__init__()
        self.imagenet = imagenet
        if imagenet:
            self.stem0 = nn.Sequential(nn.Conv2d(3, c // 2, 3, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU(),
                                       nn.Conv2d(c // 2, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c))
            self.stem1 = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c))
            cpp, cp, cur, red_prev = c, c, c, True
        else:
            self.stem = nn.Sequential(nn.Conv2d(3, 3 * c, 3, 1, 1, bias=False), nn.BatchNorm2d(3 * c))
            cpp, cp, cur, red_prev = 3 * c, 3 * c, c, False
        self.cells = nn.ModuleList()
        for i in range(layers):
            red = i in (layers // 3, 2 * layers // 3)
            if red:
                cur *= 2
            self.cells.append(Cell(REDUCE if red else NORMAL, cpp, cp, cur, red, red_prev))
            red_prev = red
            cpp, cp = cp, len(CONCAT) * cur
        self.classifier = nn.Linear(cp, classes)

    def forward(self, x):
        if self.imagenet:
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(s1.mean(dim=(2, 3)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    a = ap.parse_args()
    dev = torch.device(a.device)
    for name, c, layers, classes, side, imagenet in [("darts_v2_cifar", 36, 20, 10, 32, False), ("darts_v2_imagenet", 48, 14, 1000, 224, True)]:
        torch.manual_seed(0)
        net = Network(c, layers, classes, imagenet).to(dev)
        params = sum(p.numel() for p in net.parameters())
        x = torch.randn(a.batch_size, 3, side, side, device=dev)
        y = torch.randint(0, classes, (a.batch_size,), device=dev)
        opt = torch.optim.Adam(net.parameters(), 1e-3)
        sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)

        def step():
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

        for _ in range(2):
            step()
        sync()
        t = time.perf_counter()
        for _ in range(a.steps):
            step()
        sync()
        ips = a.steps * a.batch_size / (time.perf_counter() - t)
        print(json.dumps({"network": name, "framework": f"pytorch {torch.__version__}", "device": str(dev), "params": params,
                          "batch_size": a.batch_size, "train_images_per_sec": round(ips, 1)}))


if __name__ == "__main__":
    main()
