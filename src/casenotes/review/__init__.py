"""Ethics review of trained models: model cards, review packs, decisions and the gate.

Nothing here decides whether a model is acceptable; people do. This package makes their decision
binding: a decision is recorded against the exact bytes of the model and the exact card the panel
read, and anything that applies a classifier checks that record first (:mod:`.gate`).
"""
