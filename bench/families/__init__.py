"""The report tables of each family, one module per family, named by its ``FamilySpec``
(``report``): ``bench.report`` asks every family for the tables of each slot, in this
order: ``objective_tables`` (objective against a size), ``summary_tables`` (per solver and
size or instance), ``breakdown_tables`` (per instance) and, after the tables every family
shares, ``latency_tables`` (other latency models). Each is ``f(ctx) -> list[Table]`` of a
``bench.report.ReportContext``; a missing slot contributes nothing. A family may also
draw its own figures: ``figures(ctx, out_dir) -> list[Path]`` (the online family's value
against load and pool occupancy, which need its stored solutions re-scored).
"""
