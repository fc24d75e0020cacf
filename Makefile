# winoadder: two commands do everything. `make demo` runs the main flow, `make test` the whole suite.
.PHONY: setup demo test lint bench dist clean

setup:
	@tools/bootstrap.sh

demo: setup
	.venv/bin/winoadder demo

test: setup
	.venv/bin/tox run -e py,lint

lint: setup
	.venv/bin/tox run -e lint

bench: setup
	.venv/bin/winoadder bench

dist: setup
	rm -rf dist && .venv/bin/python -m build --outdir dist . && .venv/bin/twine check --strict dist/*

clean:
	rm -rf .tox build dist *.egg-info out .cache
