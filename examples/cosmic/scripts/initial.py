"""Step 1: the initial density field.

A 2D Gaussian random field with a power-law spectrum,
P(k) ~ k^n exp(-(k s)^2), from a seeded generator: white noise coloured in
Fourier space, scaled to unit standard deviation. The small-scale cut-off s
keeps the field smooth on the grid.
"""
import numpy as np

p = snakemake.params
n, size = int(p.grid), float(p.box_size)

rng = np.random.default_rng(int(p.seed))
noise = rng.standard_normal((n, n))

k1 = 2 * np.pi * np.fft.fftfreq(n, d=size / n)
k = np.hypot(k1[:, None], k1[None, :])
with np.errstate(divide="ignore"):
    spectrum = k ** float(p.spectral_index) * np.exp(-((k * float(p.smoothing)) ** 2))
spectrum[0, 0] = 0.0  # no mean: the density is a contrast around the average

delta = np.fft.ifft2(np.fft.fft2(noise) * np.sqrt(spectrum)).real
delta /= delta.std()
np.save(snakemake.output[0], delta)
with open(snakemake.log[0], "w") as log:
    print(f"seed {p.seed}: a {n}x{n} field, P(k) ~ k^{p.spectral_index} cut off at {p.smoothing}", file=log)
