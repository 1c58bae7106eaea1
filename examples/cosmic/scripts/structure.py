"""Step 3: the structure at time t, by the adhesion model.

Every particle starts at its grid point q and moves by the Zel'dovich
displacement, x = q - t grad(phi). Where streams of particles would cross,
the adhesion model makes them stick instead: the Eulerian map is the
gradient of the lower convex hull of the lifted potential

    f(q) = |q|^2 / 2 - t phi(q)

(the regular triangulation of the grid weighted by the potential; its dual
is the power diagram). A hull triangle whose three corners are
neighbouring grid points is matter still in a single stream. A triangle
with long edges is a region of the initial grid collapsed into one point,
x = grad of the triangle's plane: a node (cluster), of mass its Lagrangian
area. An edge that is longer than a grid diagonal is matter collapsed onto
a line segment between the points of the two triangles that share it: a
filament, of mass its Lagrangian length. This is the construction of
J. Hidding's adhesion code, as in the Netherlands eScience Center's
parallel-python workshop (cosmic_structure.py), with scipy's Qhull.

The box is periodic: the grid is extended by copies of the potential
wide enough to hold the largest displacement, so the structures in the box
are complete; only those inside the box are kept.

Outputs: nodes.npy, rows (x, y, mass in grid cells); filaments.npy, rows
(x0, y0, x1, y1, mass in grid spacings).
"""
import numpy as np
from scipy.spatial import ConvexHull

p = snakemake.params
phi = np.load(snakemake.input[0])
n = phi.shape[0]
size = float(p.box_size)
res = size / n
i = int(snakemake.wildcards.i)
# The frame's time: frames evenly spaced from t_min to t_max (plot.py
# computes the same for its label).
t = float(p.t_min) + (float(p.t_max) - float(p.t_min)) * i / max(int(p.frames) - 1, 1)

# The margin of periodic copies: the largest displacement, in cells, and two.
gx = (np.roll(phi, -1, 0) - np.roll(phi, 1, 0)) / (2 * res)
gy = (np.roll(phi, -1, 1) - np.roll(phi, 1, 1)) / (2 * res)
margin = min(n, int(np.ceil(t * np.hypot(gx, gy).max() / res)) + 2)

idx = np.arange(-margin, n + margin)
q1 = idx * res - size / 2
qx, qy = np.meshgrid(q1, q1, indexing="ij")
lifted = (qx**2 + qy**2) / 2 - t * phi[np.ix_(idx % n, idx % n)]
hull = ConvexHull(np.column_stack([qx.ravel(), qy.ravel(), lifted.ravel()]))

# The lower hull: facets whose outward normal points down.
eq = hull.equations
lower = eq[:, 2] < -1e-12
# The Eulerian position of each facet: the gradient of its plane
# n.x + d = 0, i.e. -(n_x, n_y) / n_z.
with np.errstate(divide="ignore", invalid="ignore"):
    x = -eq[:, :2] / eq[:, 2:3]
q = hull.points[:, :2]
tri = q[hull.simplices]  # (facets, 3 corners, 2)


def inside(pos):
    return np.all((pos >= -size / 2) & (pos < size / 2), axis=-1)


# Edges: facet a and its neighbour opposite corner j share the other two
# corners. Each edge once (a < b), both facets on the lower hull.
long_edge = 1.5 * res  # longer than a grid diagonal (sqrt 2 cells)
a = np.repeat(np.arange(len(eq)), 3)
j = np.tile(np.arange(3), len(eq))
b = hull.neighbors.ravel()
keep = lower[a] & lower[b] & (a < b)
a, j, b = a[keep], j[keep], b[keep]
c0 = hull.simplices[a, (j + 1) % 3]
c1 = hull.simplices[a, (j + 2) % 3]
length = np.hypot(*(q[c0] - q[c1]).T)
fil = (length > long_edge) & (inside(x[a]) | inside(x[b]))
filaments = np.column_stack([x[a][fil], x[b][fil], length[fil] / res])

# Nodes: lower facets with three long edges.
sides = np.hypot(*(tri - np.roll(tri, 1, axis=1)).transpose(2, 0, 1))
node = lower & np.all(sides > long_edge, axis=1) & inside(x)
d1, d2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
area = np.abs(d1[:, 0] * d2[:, 1] - d1[:, 1] * d2[:, 0]) / 2
nodes = np.column_stack([x[node], area[node] / res**2])

np.save(snakemake.output.nodes, nodes)
np.save(snakemake.output.filaments, filaments)
with open(snakemake.log[0], "w") as log:
    print(f"t = {t:.2f}: {len(nodes)} nodes, {len(filaments)} filament segments, margin {margin} cells", file=log)
