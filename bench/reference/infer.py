# usage: TORCH_THREADS=N python3 infer.py   -> batch-1 latency (median over 20k calls, in 5 chunks of 4k for stability view) + batch-256 throughput
import os, time, statistics, torch
from common import *
nt = int(os.environ.get("TORCH_THREADS", "2")); torch.set_num_threads(nt)
model = lenet(); model.load_state_dict(torch.load("lenet300.pt")); model.eval()
_, _, xte, _ = load()
x1 = xte[:1].clone(); x256 = xte[:256].clone()
with torch.no_grad():
    for _ in range(2000): model(x1)
    lat = []
    for i in range(20000):
        t = time.perf_counter_ns(); model(x1); lat.append(time.perf_counter_ns() - t)
    lat.sort()
    print(f"threads={nt} batch1: median {lat[len(lat)//2]/1000:.1f} us  p10 {lat[len(lat)//10]/1000:.1f}  p90 {lat[9*len(lat)//10]/1000:.1f} us  (n=20000)")
    if os.environ.get("SKIP256"): raise SystemExit
    for _ in range(50): model(x256)
    rates = []
    for r in range(7):
        n = 200; t = time.perf_counter()
        for _ in range(n): model(x256)
        rates.append(256*n/(time.perf_counter()-t))
    print(f"threads={nt} batch256: median {statistics.median(rates):.0f} samples/s  (7 reps x 200 calls; min {min(rates):.0f} max {max(rates):.0f})")
