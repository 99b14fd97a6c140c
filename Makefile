# The two commands of the README: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test venv test-deps dovecot lint screenshots bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

test-deps: $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'

# Dovecot's POP3 server is what the tests run against; install it when missing and we are root.
dovecot:
	@if ! command -v dovecot >/dev/null 2>&1 && ! test -x /usr/sbin/dovecot; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-pop3d; \
	  else echo "dovecot-pop3d is missing: run 'sudo apt-get install dovecot-pop3d'" >&2; exit 1; fi; \
	fi

demo: venv
	$(BIN)/popui --demo

test: test-deps dovecot
	$(BIN)/ruff check popui tests bench
	$(BIN)/python -m pytest -q

lint: test-deps
	$(BIN)/ruff check popui tests bench

screenshots: venv
	$(BIN)/python screenshots/make_screenshots.py

bench: test-deps dovecot
	$(BIN)/python bench/headers.py
	$(BIN)/python bench/message_list.py
