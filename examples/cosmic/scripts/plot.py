"""Step 4: one picture of the structure at time t.

Filaments are drawn as segments whose width grows with their mass (as
its square root), nodes as discs whose area grows with theirs. The PNG is
reproducible: Agg draws it the same way every time, and no timestamp or
software version is written into it.
"""
import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib import pyplot as plt
from matplotlib.collections import LineCollection

p = snakemake.params
size = float(p.box_size)
i = int(snakemake.wildcards.i)
# The same time as structure.py gives this frame.
t = float(p.t_min) + (float(p.t_max) - float(p.t_min)) * i / max(int(p.frames) - 1, 1)

nodes = np.load(snakemake.input.nodes)
filaments = np.load(snakemake.input.filaments)

fig = plt.figure(figsize=(5, 5), dpi=100)
ax = fig.add_axes([0, 0, 1, 1])
ax.set_facecolor("#0b1026")
ax.set_xlim(-size / 2, size / 2)
ax.set_ylim(-size / 2, size / 2)
ax.set_aspect("equal")
ax.set_axis_off()
fig.patch.set_facecolor("#0b1026")

if len(filaments):
    segments = filaments[:, :4].reshape(-1, 2, 2)
    width = 0.4 * np.sqrt(filaments[:, 4])
    ax.add_collection(LineCollection(segments, linewidths=width, colors="#f4a259", capstyle="round"))
if len(nodes):
    ax.scatter(nodes[:, 0], nodes[:, 1], s=0.5 * nodes[:, 2], c="#fff3c4", edgecolors="none", zorder=3)

ax.text(0.03, 0.97, f"t = {t:.2f}", transform=ax.transAxes, ha="left", va="top",
        color="white", fontsize=14, family="DejaVu Sans")
fig.savefig(snakemake.output[0], facecolor=fig.get_facecolor(), metadata={"Software": None})
plt.close(fig)
with open(snakemake.log[0], "w") as log:
    print(f"frame {i}: t = {t:.2f}", file=log)
