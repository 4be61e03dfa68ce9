# kthvalue on 10M abs float32, global_unstructured L1 0.9 over 10 x 1M-weight Linear, torch.mm 1024^3 GFLOP/s
import os, time, statistics, torch, torch.nn as nn
import torch.nn.utils.prune as prune
nt = int(os.environ.get("TORCH_THREADS", "2")); torch.set_num_threads(nt); torch.manual_seed(0)
what = os.environ.get("WHAT", "all")
if what in ("all", "kth"):
    x = torch.randn(10_000_000).abs(); k = int(0.9 * x.numel())
    torch.kthvalue(x, k); ts = []
    for _ in range(7):
        t = time.perf_counter(); v = torch.kthvalue(x, k); ts.append((time.perf_counter() - t) * 1e3)
    print(f"kthvalue 10M (k=0.9n) threads={nt}: median {statistics.median(ts):.1f} ms  all={[round(a,1) for a in ts]}")
if what in ("all", "prune"):
    ts = []
    for r in range(5):
        mods = [nn.Linear(1000, 1000, bias=False) for _ in range(10)]  # 10 x 1,000,000 weights
        params = [(m, "weight") for m in mods]
        t = time.perf_counter()
        prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=0.9)
        ts.append(time.perf_counter() - t)
        sp = sum(int((m.weight == 0).sum()) for m in mods) / 1e7
    print(f"global_unstructured L1 0.9 over 10x1M threads={nt}: median {statistics.median(ts):.3f} s  all={[round(a,3) for a in ts]}  sparsity={sp:.4f}")
if what in ("all", "mm"):
    a = torch.randn(1024, 1024); b = torch.randn(1024, 1024)
    for _ in range(5): torch.mm(a, b)
    g = []
    for r in range(9):
        n = 20; t = time.perf_counter()
        for _ in range(n): torch.mm(a, b)
        g.append(2 * 1024**3 * n / (time.perf_counter() - t) / 1e9)
    print(f"torch.mm 1024^3 fp32 threads={nt}: median {statistics.median(g):.1f} GFLOP/s  min {min(g):.1f} max {max(g):.1f}")
