# usage: train.py MODE   MODE=throughput (1 warmup + 3 timed epochs) | accuracy (10 epochs, save model)
import sys, time, statistics, torch, torch.nn as nn
from common import *
import os; torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2"))); torch.manual_seed(0)
mode = sys.argv[1]
xtr, ytr, xte, yte = load()
model = lenet(); lossf = nn.CrossEntropyLoss()
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
if mode == "throughput":
    train_epoch(model, opt, lossf, xtr, ytr)  # warm-up
    rates = []
    for e in range(3):
        t = time.perf_counter(); train_epoch(model, opt, lossf, xtr, ytr); dt = time.perf_counter() - t
        rates.append(60000 / dt); print(f"epoch {e}: {dt:.3f}s  {60000/dt:.0f} samples/s", flush=True)
    print(f"MEDIAN train throughput: {statistics.median(rates):.0f} samples/s  (threads={torch.get_num_threads()})")
else:
    t0 = time.perf_counter()
    for e in range(10):
        l = train_epoch(model, opt, lossf, xtr, ytr)
        print(f"epoch {e+1}: last-batch loss {l:.4f}  test acc {accuracy(model, xte, yte)*100:.2f}%", flush=True)
    print(f"10 epochs wall {time.perf_counter()-t0:.1f}s; FINAL test acc {accuracy(model, xte, yte)*100:.2f}%")
    torch.save(model.state_dict(), "lenet300.pt")
