"""Findings from a fitted map: clusters, robustness along the spectrum, trust,
what makes a group different, gallery tiles, predicted classes, counts.

Qt-free and napari-free: arrays and tables in, arrays and tables out. The
application layer (:mod:`napari_cne.app`) runs these for the widget and the
command line; scripts may call them directly.
"""
