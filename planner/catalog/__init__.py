"""The model catalog: one module per family in ``families/`` (specs.py says the entry's shape),
and the tables derived from those entries (registry.py: REGISTRY, LICENCES, VARIANTS, LORAS,
CONTROLNETS; reference.py: REFERENCE_MODES), published scores (scores.py), the hardware table,
and how a model reference is read (``modelref``). Adding a family: one file in ``families/``.

May import: the contract and the language room (prompt words); never planning (planner/plan.py, rules).
"""
