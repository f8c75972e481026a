"""Findings from a fitted map: what the groups are and how far to trust them.

Clusters, robustness along the spectrum, trust per object, what makes a
group different, the tiles of a gallery, predicted classes, counts.

Qt-free and napari-free: arrays and tables in, arrays and tables out. The
application layer (:mod:`napari_cne.app`) runs these for the widget and the
command line; scripts may call them directly.
"""
