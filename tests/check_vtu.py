#!/usr/bin/env python3
"""Check a Femora VTU file the way a reader would: well-formed XML, every
binary (base64) DataArray decodes to the byte count in its UInt64 header and
to the number of values its tuple count and components call for, cell types
and offsets consistent with the connectivity, connectivity inside the point
range, no NaN in the fields.  usage: check_vtu.py FILE.vtu [FILE.vtu ...]"""
import base64
import math
import struct
import sys
import xml.etree.ElementTree as ET

SIZES = {"Float64": ("d", 8), "Int64": ("q", 8), "Int32": ("i", 4), "UInt8": ("B", 1)}


def arrays(elem):
    out = {}
    for da in elem.iter("DataArray"):
        fmt, size = SIZES[da.get("type")]
        raw = base64.b64decode("".join(da.text.split()))
        nbytes = struct.unpack("<Q", raw[:8])[0]
        body = raw[8:8 + nbytes]
        assert len(body) == nbytes, f"{da.get('Name')}: {len(body)} bytes, header says {nbytes}"
        out[da.get("Name")] = (struct.unpack(f"<{nbytes // size}{fmt}", body), int(da.get("NumberOfComponents", "1")))
    return out


def check(path):
    piece = ET.parse(path).getroot().find("UnstructuredGrid/Piece")
    npts, ncells = int(piece.get("NumberOfPoints")), int(piece.get("NumberOfCells"))
    pts = arrays(piece.find("Points"))["Points"]
    assert len(pts[0]) == 3 * npts, "points"
    cells = arrays(piece.find("Cells"))
    conn, offs, types = cells["connectivity"][0], cells["offsets"][0], cells["types"][0]
    assert len(offs) == ncells and len(types) == ncells, "cell counts"
    npe = {10: 4, 24: 10}
    assert all(t in npe for t in types), "cell types"
    assert offs[-1] == len(conn), "offsets"
    assert min(conn) >= 0 and max(conn) < npts, "connectivity out of range"
    pdata = arrays(piece.find("PointData"))
    if path.endswith("fatigue.vtu"):
        # the fatigue fields alone: no load case's stresses beside them
        want = {"static_safety", "fatigue_safety", "life", "damage", "node"}
        assert set(pdata) == want, f"fatigue.vtu point data {sorted(pdata)}"
    for name, (vals, ncomp) in pdata.items():
        assert len(vals) == ncomp * npts, f"point data {name}: {len(vals)} values"
        if name in ("displacement", "stress", "von_mises", "principal"):
            assert all(math.isfinite(v) for v in vals), f"{name}: not finite"
    for name, (vals, ncomp) in arrays(piece.find("CellData")).items():
        assert len(vals) == ncomp * ncells, f"cell data {name}"


if __name__ == "__main__":
    for f in sys.argv[1:]:
        try:
            check(f)
        except Exception as e:  # one line naming the file and the fault
            print(f"{f}: {e}")
            sys.exit(1)
