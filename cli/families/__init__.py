"""The command line's part of each family, one module per family, named by its
``FamilySpec`` (``cli``). A module may define:

- ``add_generate(subparsers, name, aliases)``: the ``gqap generate NAME`` parser (without
  it the parser is built from the generator's signature, ``gqap.cli.generate``);
- ``describe(instance) -> dict``: what ``gqap info`` prints;
- ``evaluation_fields(instance, solution, evaluation) -> dict``: what ``gqap evaluate``
  prints after the objective and the violations;
- ``per_user(instance, solution, evaluation) -> (headers, rows)``: ``--per-user``;
- ``solve_rows(instance, result) -> list[(label, value)]``: extra ``gqap solve`` lines.
"""
