"""The suite's documents, shipped inside the package (``gqap.docs``); ``gqap doc NAME``
prints one."""
