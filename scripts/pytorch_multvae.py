"""Trains a Mult-VAE or Mult-DAE in PyTorch on a split in the reference layout (what
`./recsys split` writes), the way the PyTorch ports of the paper's notebook do, and saves the best
validation epoch's state dict as safetensors for `./recsys model import`. It is the second GPU route
of the README: run it on any machine with PyTorch (--device cuda), then import and serve.

The model: nn.ModuleLists of nn.Linear named q_layers/p_layers (Mult-VAE; the last q layer emits mu
then log sigma^2) or layers (Mult-DAE), tanh between layers, the input L2-normalised and dropped out
(0.5) in training; the VAE decodes mu in evaluation. Loss: the multinomial log-likelihood, plus
beta * KL with beta = min(cap, step / anneal_steps) for the VAE, plus L2 on the weights for the DAE.
Prints each epoch's validation NDCG@100 and, at the end, the test NDCG@100 and Recall@20/50 of the
saved weights, so that `model import --split` can be checked against them.

Usage: python3 scripts/pytorch_multvae.py SPLIT_DIR OUT.safetensors [--model vae|dae] [--epochs N]
       [--device cpu|cuda] [--seed N]
Needs torch (and numpy); uses safetensors.torch.save_file when the safetensors package is installed,
and otherwise writes the same format itself."""
import argparse
import csv
import json
import math
import struct

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_split(d):
    with open(d + "/unique_sid.txt") as f:
        n_items = sum(1 for line in f if line.strip())

    def rows(name):
        with open(d + "/" + name) as f:
            r = csv.reader(f)
            if next(r) != ["uid", "sid"]:
                raise SystemExit(name + ": expected the header uid,sid")
            return [(int(u), int(s)) for u, s in r]

    def matrix(pairs, start, n_rows):
        m = np.zeros((n_rows, n_items), dtype=np.float32)
        for u, s in pairs:
            m[u - start, s] = 1
        return m

    train = rows("train.csv")
    out = {"n_items": n_items, "train": matrix(train, 0, max(u for u, _ in train) + 1)}
    for part in ("validation", "test"):
        tr, te = rows(part + "_tr.csv"), rows(part + "_te.csv")
        start = min(u for u, _ in tr + te)
        n = max(u for u, _ in tr + te) - start + 1
        out[part] = (matrix(tr, start, n), matrix(te, start, n))
    return out


class MultVAE(nn.Module):
    def __init__(self, n_items, hidden, latent):
        super().__init__()
        q = [n_items] + hidden + [latent]
        p = q[::-1]
        self.latent = latent
        widths = q[:-1] + [2 * latent]
        self.q_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.p_layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(p[:-1], p[1:]))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = self.drop(F.normalize(x))
        for k, layer in enumerate(self.q_layers):
            h = layer(h)
            if k < len(self.q_layers) - 1:
                h = torch.tanh(h)
        mu, logvar = h[:, : self.latent], h[:, self.latent :]
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        for k, layer in enumerate(self.p_layers):
            z = layer(z)
            if k < len(self.p_layers) - 1:
                z = torch.tanh(z)
        return z, mu, logvar


class MultDAE(nn.Module):
    def __init__(self, n_items, hidden, latent):
        super().__init__()
        q = [n_items] + hidden + [latent]
        dims = q + q[::-1][1:]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = self.drop(F.normalize(x))
        for k, layer in enumerate(self.layers):
            h = layer(h)
            if k < len(self.layers) - 1:
                h = torch.tanh(h)
        return h, None, None


def metrics(model, fold_in, held_out, device):
    """NDCG@100, Recall@20 and Recall@50 over users with held-out items, fold-in items excluded."""
    model.eval()
    users = held_out.sum(1) > 0
    x, te = torch.from_numpy(fold_in[users]).to(device), torch.from_numpy(held_out[users])
    with torch.no_grad():
        scores = model(x)[0].cpu()
    scores[x.cpu() > 0] = -float("inf")
    top = torch.topk(scores, 100, dim=1).indices
    hits = torch.gather(te, 1, top)
    n_te = te.sum(1)
    discount = 1.0 / torch.log2(torch.arange(2, 102, dtype=torch.float32))
    dcg = (hits * discount).sum(1)
    idcg = torch.stack([discount[: int(min(n, 100))].sum() for n in n_te])
    out = {"ndcg@100": (dcg / idcg).mean().item(), "users": int(users.sum())}
    for k in (20, 50):
        out["recall@%d" % k] = (hits[:, :k].sum(1) / torch.clamp(n_te, max=k)).mean().item()
    return out


def save(state, path):
    tensors = {k: v.detach().cpu().float().contiguous() for k, v in state.items()}
    try:
        from safetensors.torch import save_file
    except ImportError:
        save_file = None
    if save_file is not None:
        save_file(tensors, path)
        return
    # the format itself: u64 header length, JSON header padded to 8 bytes, little-endian data
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        b = tensors[name].numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    a = argparse.ArgumentParser()
    a.add_argument("split")
    a.add_argument("out")
    a.add_argument("--model", default="vae", choices=["vae", "dae"])
    a.add_argument("--epochs", type=int, default=200)
    a.add_argument("--batch-size", type=int, default=500)
    a.add_argument("--device", default="cpu")
    a.add_argument("--seed", type=int, default=98765)
    args = a.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    data = read_split(args.split)
    n = data["n_items"]
    vae = args.model == "vae"
    model = (MultVAE(n, [600], 200) if vae else MultDAE(n, [], 200)).to(args.device)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.normal_(m.bias, std=0.001)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    train, steps, best = data["train"], 0, (-1.0, None, 0)
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(train))
        for start in range(0, len(train), args.batch_size):
            x = torch.from_numpy(train[order[start : start + args.batch_size]]).to(args.device)
            logits, mu, logvar = model(x)
            loss = -(F.log_softmax(logits, 1) * x).sum(1).mean()
            if vae:
                beta = min(0.2, steps / 200000)
                loss = loss + beta * (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean())
            else:
                # the notebook's lam = 0.01 on the weights' squares, per user of the batch
                loss = loss + 0.01 / args.batch_size * sum(l.weight.pow(2).sum() for l in model.layers)
            opt.zero_grad()
            loss.backward()
            opt.step()
            steps += 1
        val = metrics(model, *data["validation"], args.device)
        if val["ndcg@100"] > best[0]:
            best = (val["ndcg@100"], {k: v.clone() for k, v in model.state_dict().items()}, epoch)
        print("epoch %d validation NDCG@100 %.4f" % (epoch, val["ndcg@100"]), flush=True)
    model.load_state_dict(best[1])
    save(model.state_dict(), args.out)
    val = metrics(model, *data["validation"], args.device)
    test = metrics(model, *data["test"], args.device)
    print("best epoch %d: validation NDCG@100 %.4f (%d users); test NDCG@100 %.4f  Recall@20 %.4f  Recall@50 %.4f  (%d users)"
          % (best[2], val["ndcg@100"], val["users"], test["ndcg@100"], test["recall@20"], test["recall@50"], test["users"]))
    print("saved " + args.out)


if __name__ == "__main__":
    main()
