# The two commands of the README. Both install what they need first (scripts/setup.sh).
.PHONY: run test lint bench

run:
	scripts/setup.sh run
	.venv/bin/vida serve

test:
	scripts/setup.sh test
	scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench:
	scripts/setup.sh test
	.venv/bin/python -m benchmarks.pipeline --write benchmarks/RESULTS.md
	.venv/bin/python -m benchmarks.rtmp_path --write benchmarks/RESULTS.md
	.venv/bin/python -m benchmarks.sessions --write benchmarks/RESULTS.md
	.venv/bin/python -m benchmarks.tracking --write benchmarks/RESULTS.md
	.venv/bin/python -m benchmarks.control --write benchmarks/RESULTS.md
	.venv/bin/python -m benchmarks.render --write benchmarks/RESULTS.md
	.venv/bin/python -m benchmarks.avatar --write benchmarks/RESULTS.md
