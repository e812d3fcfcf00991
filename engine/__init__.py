"""The computation behind the lab: params in, frozen frames out.

Nothing here imports Textual or Rich, and nothing imports torch at module
level: a lab pulls torch in only when it is opened.
"""
