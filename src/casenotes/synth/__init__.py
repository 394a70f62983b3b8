"""Synthetic case notes with gold annotations (``casenotes synth``)."""
