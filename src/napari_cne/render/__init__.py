"""Pictures of embeddings, without Qt: colours, scatter plots, sweep GIFs, framing.

- :mod:`.colors`: the one palette (uniform, numeric, categorical, missing).
- :mod:`.plot`: scatter plots of layouts as PNG/PDF/SVG (:func:`plot_embeddings`).
- :mod:`.gif`: a spectrum sweep as an animated GIF (:func:`save_sweep_gif`).
- :mod:`.position_colors`: a colour per place in the embedding (CIELAB plane),
  to paint a pixel embedding back on its image (:func:`position_image`).
- :mod:`.layout`: framing a layout beside its image in world coordinates.
"""

from .colors import column_colors
from .gif import align_layouts, render_sweep_frames, save_sweep_gif
from .plot import plot_embeddings
from .position_colors import position_colors, position_image

__all__ = [
    "align_layouts",
    "column_colors",
    "plot_embeddings",
    "position_colors",
    "position_image",
    "render_sweep_frames",
    "save_sweep_gif",
]
