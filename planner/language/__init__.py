"""English in: the edit text read into structure.

``intent`` (what each edit asks for), ``vocab`` (the words known, as data), ``typos`` (cleaning),
``sizes`` (size words), ``faces`` (face words), ``picks`` (which instance), ``layers`` (words
asking for layers), ``prompts`` (prompts from the parsed edit), ``attribution`` (what was
understood: each word with the rule that used it) and ``conditions`` (how a table's condition
holds: the intent table's and the rule table's).

May import: the contract (``retouch.planner.contract``) and this room; never the catalog or planning.
"""
