#!/usr/bin/env python3
"""PyTorch's Fashion-MNIST LeNet-5 epoch beside the engine's `benchmarks.jar --fashion` (issue 18).

Same setup as dev.engine.bench.FashionRun: pixels / 255 normalised with mean 0.2860 / std 0.3530, LeNet-5 (28x28 input), Adam 1e-3, batch 64, shuffled
each epoch; the epoch time is the training pass only, the test accuracy is taken after each epoch.

  /usr/bin/python3 benchmarks/peers/torch_fashion_epoch.py --epochs 10 [--threads 2] [--dir /usr/share/datasets/fashion-mnist]
"""
import argparse, gzip, os, statistics, struct, time
import numpy as np
import torch
import torch.nn as nn


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    _, _, dims = struct.unpack(">HBB", data[:4])
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dir", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    load = lambda n: idx(os.path.join(a.dir, n))
    norm = lambda v: (v.astype(np.float32) / 255 - 0.2860) / 0.3530
    xtr = torch.from_numpy(norm(load("train-images-idx3-ubyte.gz"))).unsqueeze(1)
    ytr = torch.from_numpy(load("train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(norm(load("t10k-images-idx3-ubyte.gz"))).unsqueeze(1)
    yte = torch.from_numpy(load("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model, loss_fn = lenet(), nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    print(f"torch {torch.__version__}, threads {a.threads}, load {os.getloadavg()[0]:.2f}")
    for epoch in range(1, a.epochs + 1):
        perm = torch.randperm(len(xtr))
        model.train()
        t0 = time.perf_counter()
        for i in range(0, len(xtr), 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            loss = loss_fn(model(xtr[b]), ytr[b])
            loss.backward()
            opt.step()
            loss.item()
        t = time.perf_counter() - t0
        times.append(t)
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch}: train {t:.2f} s, test accuracy {acc:.4f}")
    print(f"lenet: median {statistics.median(times):.2f} s/epoch, final test accuracy {acc:.4f}, load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
