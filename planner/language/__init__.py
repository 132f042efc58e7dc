"""English in: the edit text read into structure.

``intent`` (what each edit asks for), ``vocab`` (the words known, as data), ``typos`` (cleaning),
``sizes`` (size words), ``faces`` (face words), ``picks`` (which instance), ``layers`` (words
asking for layers), ``prompts`` (prompts from the parsed edit) and ``attribution`` (what was
understood: each word with the rule that used it).

May import: the contract (``retouch.planner.contract``) and this room; never the catalog or planning.
"""
