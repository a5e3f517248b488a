"""Writes the state dict a PyTorch port of the paper's code would save with
safetensors.torch.save_file(model.state_dict(), OUT), and prints the logits of its forward pass in
eval mode, computed as PyTorch computes them, in double precision. Standard library only.

Mult-VAE: q_layers (encoder; the last layer emits mu, then log sigma^2) and p_layers (decoder).
Mult-DAE: one list, layers, the encoder's layers then the decoder's. nn.Linear(in, out) holds
weight [out, in] and bias [out] and computes y = x W^T + b. Between layers: tanh. Eval mode: the
input is L2-normalised, no dropout, and the VAE decodes mu.

Usage: python3 torch_style_state_dict.py OUT vae|dae ITEMS HIDDEN(comma-separated or -) LATENT SEED USERS_JSON
prints {"logits": [[...] per user]}"""
import json
import math
import random
import struct
import sys

out, kind, items, hidden, latent, seed, users = sys.argv[1:8]
items, latent, seed = int(items), int(latent), int(seed)
hidden = [] if hidden == "-" else [int(h) for h in hidden.split(",")]
users = json.loads(users)
rnd = random.Random(seed)


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def linear(n_in, n_out):
    limit = math.sqrt(6.0 / (n_in + n_out))
    weight = [[f32(rnd.uniform(-limit, limit)) for _ in range(n_in)] for _ in range(n_out)]
    bias = [f32(rnd.uniform(-0.1, 0.1)) for _ in range(n_out)]
    return weight, bias


q_dims = [items] + hidden + [latent]
p_dims = q_dims[::-1]
tensors = {}  # name -> (shape, flat values)
if kind == "vae":
    enc_dims = q_dims[:-1] + [2 * latent]
    encoder = [linear(a, b) for a, b in zip(enc_dims[:-1], enc_dims[1:])]
    decoder = [linear(a, b) for a, b in zip(p_dims[:-1], p_dims[1:])]
    names = [("q_layers.%d" % k, layer) for k, layer in enumerate(encoder)] + [("p_layers.%d" % k, layer) for k, layer in enumerate(decoder)]
else:
    dims = q_dims + p_dims[1:]
    layers = [linear(a, b) for a, b in zip(dims[:-1], dims[1:])]
    names = [("layers.%d" % k, layer) for k, layer in enumerate(layers)]
for name, (w, b) in names:
    tensors[name + ".weight"] = ([len(w), len(w[0])], [v for row in w for v in row])
    tensors[name + ".bias"] = ([len(b)], b)

# the layout of the reference writer: names sorted, data contiguous in that order, header padded to 8
header = {"__metadata__": {"format": "pt"}}
data = bytearray()
for name in sorted(tensors):
    shape, values = tensors[name]
    begin = len(data)
    data += struct.pack("<%df" % len(values), *values)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}
text = json.dumps(header).encode("utf-8")
text += b" " * (-len(text) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + bytes(data))


def apply(layer, x):
    w, b = layer
    return [b[o] + sum(w[o][i] * x[i] for i in range(len(x)) if x[i] != 0.0) for o in range(len(w))]


def forward(user_items):
    x = [0.0] * items
    for i in user_items:
        x[i] = 1.0
    norm = math.sqrt(sum(v * v for v in x))
    h = [v / max(norm, 1e-12) for v in x]
    if kind == "vae":
        for k, layer in enumerate(encoder):
            h = apply(layer, h)
            if k != len(encoder) - 1:
                h = [math.tanh(v) for v in h]
        h = h[:latent]  # mu
        for k, layer in enumerate(decoder):
            h = apply(layer, h)
            if k != len(decoder) - 1:
                h = [math.tanh(v) for v in h]
    else:
        for k, layer in enumerate(layers):
            h = apply(layer, h)
            if k != len(layers) - 1:
                h = [math.tanh(v) for v in h]
    return h


json.dump({"logits": [forward(u) for u in users]}, sys.stdout)
