"""numba kernels of the CPU backend: SGD over edge windows, near-field grid, mesh."""
