# The two commands of the README: `make demo` and `make test`. Both set up everything they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test venv test-deps compiler dovecot servers lint screenshots bench

# Install Debian packages when root (fresh machines, CI); otherwise say what to install.
define apt_install
if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1); \
else echo "missing: run 'sudo apt-get install $(1)'" >&2; exit 1; fi
endef

$(BIN)/python:
	@# Debian's python3 has no ensurepip without python3-venv; a venv without pip is useless.
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { $(call apt_install,python3-venv); }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/python -m pip install -q -e .

# popui/mail/_field_scan.c is compiled when popui is installed (hatch_build.py), and the tests
# check it was (in CI a missing build fails them): a C compiler and Python's headers, installed
# with apt-get when root; otherwise a note, and popui installs with its Python scanner.
compiler: $(BIN)/python
	@missing=""; command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing="gcc"; \
	$(BIN)/python -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
	  || missing="$$missing python3-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "note: without$$missing popui's C scanner is not built (run 'sudo apt-get install$$missing')" >&2; fi; \
	fi

test-deps: compiler
	$(BIN)/python -m pip install -q -e '.[test]'

# Dovecot's POP3 server is what the tests run against (a private instance on free ports, see
# tests/dovecot.py); install Debian's dovecot-pop3d unless a dovecot of another origin is on PATH.
dovecot:
	@if [ -x /usr/sbin/dovecot ] || ! command -v dovecot >/dev/null 2>&1; then \
	  test -x /usr/lib/dovecot/pop3-login || { $(call apt_install,dovecot-pop3d); }; \
	fi

# The other four servers of the acceptance flow (tests/test_five_servers.py), as private instances.
# courier-pop, cyrus-pop3d and popa3d each conflict with every other pop3-server (dovecot-pop3d
# too), so their .debs are unpacked into .servers/ instead of installed; what they need (authdaemon,
# cyrus master, sasl tools) and mailutils-pop3d, which conflicts with nothing, are installed.
# A temporary policy-rc.d keeps the packages' postinst from starting daemons on standard ports.
SERVER_DEPS := courier-base courier-authdaemon courier-authlib-userdb cyrus-common sasl2-bin mailutils-pop3d
SERVER_DEBS := courier-pop cyrus-pop3d popa3d

servers:
	@if [ "$$(id -u)" != 0 ]; then echo "the four extra POP3 servers need root; their tests skip" >&2; exit 0; fi; \
	missing=""; for p in $(SERVER_DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ] && command -v apt-get >/dev/null 2>&1; then \
	  policy=/usr/sbin/policy-rc.d; own=; \
	  if [ ! -e $$policy ]; then printf '#!/bin/sh\nexit 101\n' >$$policy; chmod 755 $$policy; own=1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  status=$$?; [ -z "$$own" ] || rm -f $$policy; [ $$status = 0 ] || exit $$status; \
	fi; \
	if [ ! -x .servers/usr/sbin/popa3d ]; then \
	  rm -rf .servers.tmp && mkdir -p .servers.tmp && cd .servers.tmp && apt-get download $(SERVER_DEBS) \
	  && for deb in *.deb; do dpkg-deb -x $$deb root; done && cd .. && rm -rf .servers \
	  && mv .servers.tmp/root .servers && rm -rf .servers.tmp; \
	fi

demo: venv
	$(BIN)/popui --demo

test: test-deps dovecot servers
	$(BIN)/ruff check popui tests bench
	$(BIN)/mypy --strict popui
	$(BIN)/python -m pytest -q

lint: test-deps
	$(BIN)/ruff check popui tests bench

screenshots: venv
	$(BIN)/python screenshots/make_screenshots.py

bench: test-deps dovecot
	$(BIN)/python bench/summarize.py
	$(BIN)/python bench/wire.py
	$(BIN)/python bench/headers.py
	$(BIN)/python bench/message_list.py
	$(BIN)/python bench/open_message.py
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/patterns.py
