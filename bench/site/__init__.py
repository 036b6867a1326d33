"""The static results site: ``gqap bench report DIR --format html`` (one sweep) and
``gqap bench site`` (every study under results/).

``data`` reads what a site is built from (a sweep's store, a results folder's
``runs.csv`` or its report tables), ``analysis`` says who wins where, ``plots`` draws
the figures, ``html`` and ``build`` write the pages; ``assets/`` holds the stylesheet and
the small table sorter every page loads (no network, no server).
"""
