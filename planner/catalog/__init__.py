"""The model catalog: families and their specs, licences, variants, LoRAs, ControlNets,
reference-image modes, and how a model reference is read (``modelref``).

May import: the contract and the language room (prompt words); never planning (planner/plan.py, rules).
"""
