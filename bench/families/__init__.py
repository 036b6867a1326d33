"""The report tables of each family, one module per family, named by its ``FamilySpec``
(``report``): ``bench.report`` asks every family for the tables of each slot, in this
order: ``objective_tables`` (objective against a size), ``summary_tables`` (per solver and
size or instance), ``breakdown_tables`` (per instance) and, after the tables every family
shares, ``latency_tables`` (other latency models). Each is ``f(ctx) -> list[Table]`` of a
``bench.report.ReportContext``; a missing slot contributes nothing. A family draws its own
figures in two slots, ``figures(ctx, out_dir) -> list[Path]`` before the figures every
family shares and ``latency_figures`` after them (``ctx.tables`` names the tables the
report writes): the offloading family's Fig. 11 curves, Fig. 10 bars and dynamic-batch
bars, the online family's value against load and pool occupancy. ``bench.report`` names
no family.
"""
