"""casenotes: de-identify, tag and model the free-text case notes of children's social care.

Intended use: surfacing evidence and measuring need for services and research. Out of scope:
automated decisions about individual children.
"""

__version__ = "0.1.0"
