"""Batch tagging of whole archives (``casenotes tag``): de-identify, extract and optionally score
every note in one streaming pass, on local processes or on Spark, resumable after any crash.

Concepts
--------
**Chunk.** The unit of work, of checkpointing and of determinism: ``checkpoint_notes`` consecutive
valid notes of the input. A chunk is tagged by one call of :class:`~casenotes.batch.tagger.Tagger`,
which first forgets what earlier notes taught the de-identifier (names remembered per case,
placeholder numbering). A chunk's output therefore depends only on the chunk, so one process, two
processes, Spark and a resumed run all write the same records. The price: a name learnt in one
chunk is not propagated to another note of the same case in a later chunk (within a chunk it is).

**Part.** What a finished chunk leaves on disk: ``notes/part-NNNNN.parquet`` (or ``.jsonl``),
written to a temporary name and renamed into place, plus the rejects read up to its last note.
**Manifest.** ``manifest.json``, rewritten atomically after every part: the input's fingerprint,
the settings, how many input records are done (``position``), the counts so far and the running
summary. A run killed at any moment (SIGKILL included) restarts from the manifest: parts it does
not list are deleted, the reader skips the first ``position`` records (re-reading them only to
rebuild the set of note ids seen, so duplicates are still caught), and nothing is lost or
written twice.

**Rejects.** Records the reader cannot use (invalid UTF-8, malformed rows, missing text or id,
duplicate ids) and notes the tagger refuses (blank, absurdly long, binary junk) go to
``rejects.jsonl`` with source, line and reason. At the end ``read == written + rejected`` is
checked against the files on disk, not just counters.

**Summary.** Counts and rates per risk category and the toxic-trio prevalence, overall, by month
and by the grouping columns asked for, with small counts suppressed before anything is written
(:mod:`casenotes.batch.summary`).
"""
