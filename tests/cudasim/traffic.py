#!/usr/bin/env python3
"""Only results come back from the GPU (t908, the CUDA simulator's build).

The issue asks that only inputs go up and only result fields come back.
`femora run CASE --backend cuda` runs with point-block Jacobi, the
multigrid (amg) and the p-multigrid (pmg, TET10) and the simulator counts
the bytes copied device to host (CUDASIM_TRAFFIC_FILE).  With Jacobi they
must not exceed the result fields: per load case the displacements and the
internal forces (3 doubles per node each) and the stresses per node copy
(6 components, von Mises, 3 principal: 10 doubles; one copy per node and
material, at most 3 materials here).  The multigrid paths may add what
their setup brings down by design, the coarsest level's operator (for its
dense factor on the host): at most 8 nc^2 + 12 nc^2 bytes for nc coarsest
rows.  The fine stiffness (12 bytes per nonzero) coming down would break
this by far.

usage: traffic.py FEMORA CASE OUTDIR
"""
import json
import os
import re
import subprocess
import sys

femora, case, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
down = {}
for pc in ("jacobi", "amg", "pmg"):
    traffic = os.path.join(out, f"traffic-{pc}")
    res = os.path.join(out, pc)
    env = dict(os.environ, CUDASIM_TRAFFIC_FILE=traffic)
    r = subprocess.run([femora, "run", case, "-o", res, "--quiet",
                        "--backend", "cuda", "--preconditioner", pc],
                       env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: {pc}: femora exited {r.returncode}: {r.stderr}")
    up, dn = (int(v) for v in open(traffic).read().split())
    s = json.load(open(os.path.join(res, "summary.json")))
    nodes, nlc = s["nodes"], len(s["load_cases"])
    results = nlc * 8 * (3 * nodes + 3 * nodes + 10 * 3 * nodes)
    m = re.findall(r"(\d+) rows\)", s["preconditioner"])
    nc = int(m[-1]) if m and pc != "jacobi" else 0
    allowed = results + 20 * nc * nc
    print(f"t908: {pc}: {dn} bytes down, {up} up; results at most {results}, "
          f"coarsest level {nc} rows: {allowed} allowed down")
    if dn > allowed:
        sys.exit(f"FAIL: {pc}: {dn} bytes came down, more than {allowed}")
    down[pc] = dn
print("t908: only results (and the coarsest operator) come back")
