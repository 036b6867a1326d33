"""The instance library shipped inside the package (``gqap.sets``): one folder per set,
each with a ``manifest.json``; read through ``gqap.library``, never by a path."""
