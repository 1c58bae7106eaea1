"""Step 2: the gravitational potential.

Poisson's equation, laplacian(phi) = delta, solved by FFT on the periodic
box: phi_k = -delta_k / k^2, with the k = 0 mode (the mean) set to zero.
"""
import numpy as np

delta = np.load(snakemake.input[0])
n = delta.shape[0]
size = float(snakemake.params.box_size)

k1 = 2 * np.pi * np.fft.fftfreq(n, d=size / n)
k2 = k1[:, None] ** 2 + k1[None, :] ** 2
k2[0, 0] = 1.0  # avoid 0/0; the mode is zeroed below
phi_k = -np.fft.fft2(delta) / k2
phi_k[0, 0] = 0.0
phi = np.fft.ifft2(phi_k).real
np.save(snakemake.output[0], phi)
with open(snakemake.log[0], "w") as log:
    print(f"potential from {phi.min():.3f} to {phi.max():.3f}", file=log)
