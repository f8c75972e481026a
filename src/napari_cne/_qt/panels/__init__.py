"""The dock widget's panels, one file each, composed by :mod:`..widget`.

Each panel shows part of the :class:`..session.Session` and changes it:
:mod:`.input` (what to embed), :mod:`.parameters` (the form built from
:data:`..params.PARAMS`), :mod:`.run` (buttons, progress, status, loss
curve), :mod:`.results` (the embedding layers' colours and legend; the live
embedding layer itself is :mod:`..live_layer`),
:mod:`.quality` (the readout), :mod:`.sweep` (the spectrum sweep layer and
its GIF) and :mod:`.selection` (linked selection, lasso, named classes).
"""
