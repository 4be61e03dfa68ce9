import gzip, struct, numpy as np, torch, torch.nn as nn
D = "/usr/share/datasets/fashion-mnist/"
def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4]); nd = magic & 0xff
    dims = struct.unpack(">" + "I"*nd, data[4:4+4*nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4+4*nd).reshape(dims)
def load():
    xtr = torch.from_numpy(_idx(D+"train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0)
    ytr = torch.from_numpy(_idx(D+"train-labels-idx1-ubyte.gz").astype(np.int64))
    xte = torch.from_numpy(_idx(D+"t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0)
    yte = torch.from_numpy(_idx(D+"t10k-labels-idx1-ubyte.gz").astype(np.int64))
    return xtr, ytr, xte, yte
def lenet():
    return nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
def train_epoch(model, opt, lossf, xtr, ytr, bs=128):
    model.train()
    perm = torch.randperm(xtr.shape[0])
    for i in range(0, xtr.shape[0], bs):
        idx = perm[i:i+bs]
        xb, yb = xtr[idx], ytr[idx]
        opt.zero_grad(set_to_none=True)
        loss = lossf(model(xb), yb)
        loss.backward()
        opt.step()
    return loss.item()
def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()
