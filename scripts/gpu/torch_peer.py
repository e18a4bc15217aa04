#!/usr/bin/env python3
"""PyTorch on the same GPU, same models and shapes as dev.engine.bench.GpuBench and CudaGemmBench.

Writes one JSON file (rows like GpuBench's) so scripts/gpu/report.py can put ratios side by side.
  python3 torch_peer.py --out torch.json
Train steps: eager, F32 (TF32 off), and the MLP 4096 also with BF16 autocast. Frozen inference: a CUDA
graph replay with pinned host buffers, host array in -> host array out (copy in, replay, copy out, sync).
GEMM: torch.mm F32 / TF32 / BF16 at 1024-8192, median of CUDA-event timings.
"""
import argparse, json, statistics, time
import torch
import torch.nn as nn

dev = torch.device("cuda")


def mlp(*w):
    layers = []
    for i in range(len(w) - 1):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(w[i], w[i + 1]))
    return nn.Sequential(*layers)


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def timed(step, reps=7):
    for _ in range(5):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter(); step(); torch.cuda.synchronize()
    one = max(1e-6, time.perf_counter() - t0)
    steps = int(max(5, min(20000, 0.3 / one)))
    ms = []
    for _ in range(reps):
        s = time.perf_counter()
        for _ in range(steps):
            step()
            torch.cuda.synchronize()
        ms.append((time.perf_counter() - s) * 1e3 / steps)
    ms.sort()
    return ms[len(ms) // 2], ms[0]


def train_row(name, autocast=False):
    torch.manual_seed(0)
    if name == "mlp4096":
        b, net, x = 1024, mlp(4096, 4096, 4096, 10), torch.rand(1024, 4096) * 2 - 1
    elif name == "mlp784":
        b, net, x = 128, mlp(784, 512, 512, 10), torch.rand(128, 784) * 2 - 1
    elif name == "lenet":
        b, net, x = 64, lenet(), torch.rand(64, 1, 28, 28) * 2 - 1
    else:
        b = 8
        net = nn.TransformerEncoderLayer(128, 4, 512, 0.1, batch_first=True)
        x = torch.rand(8, 64, 128) * 2 - 1
    net = net.to(dev).train()
    x = x.to(dev)
    if name == "transformer":
        y, lossf = (torch.rand(8, 64, 128, device=dev) * 2 - 1), nn.MSELoss()
    else:
        y, lossf = torch.randint(0, 10, (b,), device=dev), nn.CrossEntropyLoss()
    opt = torch.optim.Adam(net.parameters(), 1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            out = net(x)
        loss = lossf(out.float(), y)
        loss.backward()
        opt.step()
    med, mn = timed(step)
    return {"kind": "train", "model": name + ("-bf16" if autocast else ""), "batch": b, "median_ms": med, "min_ms": mn}


def frozen_row(name, b):
    torch.manual_seed(0)
    net = (mlp(784, 512, 512, 10) if name == "mlp" else lenet()).to(dev).eval()
    shape = (b, 784) if name == "mlp" else (b, 1, 28, 28)
    h_in = (torch.rand(shape) * 2 - 1).pin_memory()
    d_in = torch.empty(shape, device=dev)
    with torch.no_grad():
        h_out = torch.empty(net(d_in).shape).pin_memory()
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                d_out = net(d_in)
        torch.cuda.current_stream().wait_stream(s)
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            d_out = net(d_in)

    def call():
        d_in.copy_(h_in, non_blocking=True)
        g.replay()
        h_out.copy_(d_out, non_blocking=True)
    med, mn = timed(call)
    return {"kind": "frozen", "model": name, "batch": b, "median_ms": med, "min_ms": mn}


def gemm_rows():
    rows = []
    for n in (1024, 2048, 4096, 8192):
        for mode in ("f32", "tf32", "bf16"):
            torch.backends.cuda.matmul.allow_tf32 = mode == "tf32"
            dt = torch.bfloat16 if mode == "bf16" else torch.float32
            a = torch.rand(n, n, device=dev, dtype=dt) - 0.5
            bm = torch.rand(n, n, device=dev, dtype=dt) - 0.5
            c = torch.empty(n, n, device=dev, dtype=dt)
            for _ in range(3):
                torch.mm(a, bm, out=c)
            reps = max(5, int(2e12 / (2.0 * n ** 3)) if mode == "f32" else int(2e13 / (2.0 * n ** 3)))
            times = []
            for _ in range(5):
                e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                e0.record()
                for _ in range(reps):
                    torch.mm(a, bm, out=c)
                e1.record(); torch.cuda.synchronize()
                times.append(e0.elapsed_time(e1) / reps)
            ms = statistics.median(times)
            rows.append({"kind": "gemm", "model": mode, "batch": n, "median_ms": ms, "min_ms": min(times),
                         "tflops": 2.0 * n ** 3 / (ms * 1e-3) / 1e12})
    torch.backends.cuda.matmul.allow_tf32 = False
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rows = []
    for m in ("mlp784", "transformer", "lenet", "mlp4096"):
        rows.append(train_row(m))
    rows.append(train_row("mlp4096", autocast=True))
    for name, b in (("mlp", 1), ("mlp", 64), ("lenet", 1), ("lenet", 64)):
        rows.append(frozen_row(name, b))
    rows += gemm_rows()
    for r in rows:
        print("torch %-6s %-14s batch %5d  median %9.4f ms  min %9.4f ms%s" % (r["kind"], r["model"], r["batch"], r["median_ms"],
              r["min_ms"], ("  %.1f TFLOP/s" % r["tflops"]) if "tflops" in r else ""))
    with open(args.out, "w") as f:
        json.dump({"label": "pytorch " + torch.__version__, "device": torch.cuda.get_device_name(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
