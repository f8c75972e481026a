"""The application layer: every workflow once, under the widget and the command line.

No Qt and no napari here. The front ends (``napari_cne._qt``, the dock
widget; ``napari_cne.cli``, the ``napari-cne`` command) turn what the user
chose into a typed input (:mod:`.inputs`) and a request, check it and run
it; both get the same answer because both run this code.

- the workflows, one typed request each, with ``check()`` (all validation,
  the memory estimate, the method resolved, once) and ``run()`` (a
  generator of the typed events of :mod:`.events`): fit objects, table rows
  or pixels and re-optimise (:mod:`.fit`), sweep the spectrum
  (:mod:`.sweep`), place objects in a fitted map (:mod:`.place`), map every
  pixel (:mod:`.every_pixel`);
- the settings, declared once for the form and the options
  (:mod:`.settings`, on the engine's :mod:`~napari_cne.engine.schema`);
- a fitted map saved and loaded (:mod:`.models`), the provenance records
  (:mod:`.provenance`), the memory check (:mod:`.memory`), the optional
  dask cluster (:mod:`.scheduler`);
- the widget's state (:mod:`.session`): settings, the fit, the sweep, the
  requests; its objects' keys (:mod:`.targets`), named classes
  (:mod:`.classes`), several Labels layers' images (:mod:`.pairing`),
  layer metadata keys (:mod:`.metadata`) and the kNN warm-up
  (:mod:`.warmup`).
"""
