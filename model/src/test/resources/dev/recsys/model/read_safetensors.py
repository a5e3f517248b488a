"""Reads a safetensors file with nothing but the standard library, from the format's description:
an unsigned little-endian 64-bit header length N, N bytes of JSON header, then the data, each
tensor's little-endian values at data_offsets [begin, end) of the data. Prints
{name: {"dtype": ..., "shape": [...], "values": [...]}} as JSON, in the header's order.
Usage: python3 read_safetensors.py FILE"""
import array
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    blob = f.read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n].decode("utf-8"))
data = blob[8 + n:]
out = {}
for name, t in header.items():
    if name == "__metadata__":
        continue
    if t["dtype"] != "F32":
        sys.exit("tensor %s: dtype %s, this reader reads F32" % (name, t["dtype"]))
    begin, end = t["data_offsets"]
    values = array.array("f")
    values.frombytes(data[begin:end])
    if sys.byteorder == "big":
        values.byteswap()
    count = 1
    for d in t["shape"]:
        count *= d
    if count != len(values):
        sys.exit("tensor %s: shape %s but %d values" % (name, t["shape"], len(values)))
    out[name] = {"dtype": t["dtype"], "shape": t["shape"], "values": values.tolist()}
json.dump(out, sys.stdout)
