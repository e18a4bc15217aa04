#!/usr/bin/env python3
"""Puts GpuBench JSON files (one per engine configuration) beside torch_peer.py's JSON as one markdown table.
  python3 report.py torch.json engine-own.json engine-auto.json ... > report.md
Ratio = engine median / PyTorch median for the same kind, model and batch (below 1: the engine is faster).
"""
import json, sys


def load(p):
    with open(p) as f:
        return json.load(f)


def main():
    torch = load(sys.argv[1])
    engines = [load(p) for p in sys.argv[2:]]
    peer = {(r["kind"], r["model"], r["batch"]): r for r in torch["rows"]}
    print("| kind | model | batch | PyTorch (%s) ms | %s |" % (torch["label"], " | ".join("%s ms (ratio)" % e["label"] for e in engines)))
    print("|---|---|---|---|" + "---|" * len(engines))
    keys = []
    for e in engines:
        for r in e["rows"]:
            k = (r["kind"], r["model"], r["batch"])
            if k not in keys:
                keys.append(k)
    for k in keys:
        p = peer.get(k)
        cells = []
        for e in engines:
            r = next((x for x in e["rows"] if (x["kind"], x["model"], x["batch"]) == k), None)
            if r is None:
                cells.append("—")
            elif p is None:
                cells.append("%.4f" % r["median_ms"])
            else:
                cells.append("%.4f (%.2fx)" % (r["median_ms"], r["median_ms"] / p["median_ms"]))
        print("| %s | %s | %d | %s | %s |" % (k[0], k[1], k[2], "%.4f" % p["median_ms"] if p else "—", " | ".join(cells)))
    extra = [r for r in torch["rows"] if r["kind"] == "gemm" or (r["kind"], r["model"], r["batch"]) not in keys]
    if extra:
        print("\nPyTorch only (same run):\n")
        for r in extra:
            print("- %s %s %d: %.4f ms%s" % (r["kind"], r["model"], r["batch"], r["median_ms"],
                  (" (%.1f TFLOP/s)" % r["tflops"]) if "tflops" in r else ""))


if __name__ == "__main__":
    main()
