#!/usr/bin/env python3
"""PyTorch's CPU training step beside the engine's, interleaved in one session (issue 18).

Same models and batch as dev.engine.bench.TrainStepBench (lenet: LeNet-5, batch 64; resnet: Models.resnet(),
batch 64, 3x32x32; mlp: 784-512-512-10, batch 128; mlp4096: 4096-4096-4096-10, batch 256): zero grads, forward,
cross-entropy, backward, Adam 1e-3; --precision bf16 runs both forwards under autocast (torch.autocast("cpu")). PyTorch runs in this process
(oneDNN convolutions); the engine runs in a JVM started here (dev.engine.bench.StepLoop --serve). The two
alternate in blocks of steps, so a change of outside load hits both; medians over all measured steps.

  /usr/bin/python3 benchmarks/peers/torch_train_step.py --models lenet,resnet --rounds 20 --block 20
  /usr/bin/python3 benchmarks/peers/torch_train_step.py --models mlp,mlp4096 --precision bf16
  (--jar benchmarks/target/benchmarks.jar; --threads 2; --torch-only to skip the engine)
"""
import argparse, os, statistics, subprocess, time
import torch
import torch.nn as nn


def lenet():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


class Residual(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return x + self.fn(x)


def conv3(i, o, s):
    return nn.Conv2d(i, o, 3, stride=s, padding=1, bias=False)


def resnet():
    layers = [conv3(3, 16, 1), nn.BatchNorm2d(16), nn.ReLU()]
    for c in (16, 32, 64):
        if c > 16:
            layers += [conv3(c // 2, c, 2), nn.BatchNorm2d(c), nn.ReLU()]
        layers += [Residual(nn.Sequential(conv3(c, c, 1), nn.BatchNorm2d(c), nn.ReLU(), conv3(c, c, 1), nn.BatchNorm2d(c))), nn.ReLU()]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def mlp(*widths):
    layers = []
    for i in range(len(widths) - 1):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(widths[i], widths[i + 1]))
    return nn.Sequential(*layers)


def torch_step(model, precision):
    torch.manual_seed(0)
    if model == "lenet":
        net, x = lenet(), torch.rand(64, 1, 28, 28) * 2 - 1
    elif model == "mlp":
        net, x = mlp(784, 512, 512, 10), torch.rand(128, 784) * 2 - 1
    elif model == "mlp4096":
        net, x = mlp(4096, 4096, 4096, 10), torch.rand(256, 4096) * 2 - 1
    else:
        net, x = resnet(), torch.rand(64, 3, 32, 32) * 2 - 1
    net.train()
    y = torch.randint(0, 10, (x.shape[0],))
    lossf = nn.CrossEntropyLoss()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16}.get(precision)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            loss = lossf(net(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


def torch_block(step, k):
    out = []
    for _ in range(k):
        t0 = time.perf_counter()
        step()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="lenet,resnet")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--block", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--jar", default="benchmarks/target/benchmarks.jar")
    ap.add_argument("--torch-only", action="store_true")
    ap.add_argument("--precision", default="f32", help="f32, or bf16: the forward of both under autocast")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    eng = None
    if not a.torch_only:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads))
        eng = subprocess.Popen(["java", "-cp", a.jar, "dev.engine.bench.StepLoop", "--serve"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env)

    def engine_block(model, k):
        eng.stdin.write(f"{model} {k}\n")
        eng.stdin.flush()
        return [float(v) for v in eng.stdout.readline().split()]

    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()}, "
          f"load {os.getloadavg()[0]:.2f}")
    for model in a.models.split(","):
        step = torch_step(model, a.precision)
        k = a.block if model in ("lenet", "mlp") else max(3, a.block // 4)
        if model == "mlp4096":
            k = max(1, a.block // 10)
        served = model + ":" + a.precision
        torch_block(step, 3 * k)  # warm-up
        if eng:
            engine_block(served, 10 * k)
        ts, es = [], []
        for _ in range(a.rounds):
            ts += torch_block(step, k)
            if eng:
                es += engine_block(served, k)
        tm = statistics.median(ts)
        line = f"{model} {a.precision}: torch median {tm:.3f} ms (min {min(ts):.3f})"
        if eng:
            em = statistics.median(es)
            line += f", engine median {em:.3f} ms (min {min(es):.3f}), engine/torch time ratio {em / tm:.3f}"
        print(line + f"  [{a.rounds} rounds x {k} steps, load {os.getloadavg()[0]:.2f}]", flush=True)
    if eng:
        eng.stdin.close()
        eng.wait()


if __name__ == "__main__":
    main()
