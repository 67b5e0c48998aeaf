# listen: ingest music listening logs into SQLite and find peak weeks.
# `make` lists the targets; `make run` and `make test` work on a fresh
# Debian machine with no earlier step (they install what is missing).

SHELL := bash
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

TOOLS   := listen-parse listen-load listen-weekly listen-peaks listen-ingest
BINS    := $(TOOLS:%=bin/%)
LIBSRC  := $(wildcard lib/*.c)
LIBOBJ  := $(LIBSRC:lib/%.c=build/%.o)
MANS    := $(TOOLS:%=share/man/man1/%.1)

CC      ?= cc
CFLAGS  ?= -O2 -g
override CFLAGS += -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wformat=2
CPPFLAGS += -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -Ilib -Ibuild
ifeq ($(SAN),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=all
override LDFLAGS += -fsanitize=address,undefined
endif

# Objects are rebuilt when the flags change (SAN=1 and back): the stamp's
# name carries a hash of them.
FLAGS_STAMP := build/flags-$(shell echo '$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS)' | md5sum | cut -c1-12)

INPUT   ?= data/sample.csv
DB      ?= warehouse.db
# Empty: DB's path less a final .db, with .rejects.tsv (worked out in the
# shell, as make's $(basename) would split a path with spaces).
REJECTS ?=
PARSE_FLAGS ?=
PREFIX  ?= /usr/local
DIR     ?=
CRASH_TRIALS ?= 50
DATA_URL ?=
DATA_SHA256 ?=

# Debian packages: RUN_DEPS are what building and running the tools need
# (make run installs only those), DEPS adds what tests, lint, fuzzing and
# the benchmark need; install-dependencies adds whatever is missing.
RUN_DEPS := gcc make libc6-dev libcsv-dev libyajl-dev libsqlite3-dev sqlite3 \
	tzdata ca-certificates curl python3
DEPS := $(RUN_DEPS) bats bats-assert bats-support mandoc shellcheck \
	time clang libclang-rt-dev

.PHONY: help install-dependencies install-run-dependencies install-packages build fetch-data run run-query test bench lint \
	tidy install clean ingest-dir crash-test fuzz fuzz-short

# $(call shq,VALUE): VALUE as one shell word, whatever quotes or spaces it
# has; $(call shpath,PATH) also puts "./" in front of a leading dash, so
# that no tool takes the path for an option.
shq = '$(subst ','\'',$(1))'
shpath = $(call shq,$(if $(filter -%,$(firstword $(1))),./)$(1))

help:
	@echo 'usage: make TARGET [VAR=value ...]'
	@echo
	@echo '  run                   ingest INPUT into DB, then print the peak weeks'
	@echo '  test                  build and run the bats suite (SAN=1: sanitizers)'
	@echo '  build                 build the tools into bin/'
	@echo '  run-query query=SQL   run SQL on DB with the sqlite3 shell'
	@echo '  ingest-dir DIR=dir    ingest every new file of the landing DIR into DB'
	@echo '  fetch-data            download DATA_URL into data/, or check the sample'
	@echo '  install-dependencies  apt-get install what is missing (all targets)'
	@echo '  bench                 time ingest and report against sqlite3 and Python baselines'
	@echo '  crash-test            kill -9 CRASH_TRIALS loads at random moments, check each'
	@echo '  fuzz                  fuzz listen-parse for FUZZ_SECONDS (FUZZ_KIND csv|tsv|json|all)'
	@echo '  fuzz-short            fuzz listen-parse for 60 s, as CI does'
	@echo '  lint                  -Werror build, mandoc -Tlint, shellcheck'
	@echo '  tidy                  clang-format the C sources'
	@echo '  install               install tools and man pages under PREFIX'
	@echo '  clean                 remove build output'
	@echo
	@echo '  INPUT=$(INPUT)  DB=$(DB)  PREFIX=$(PREFIX)'
	@echo '  REJECTS: the rejects file of run (default: DB less .db, with .rejects.tsv)'
	@echo '  PARSE_FLAGS: more listen-parse options for run, e.g. "--set-user me"'

install-dependencies:
	@$(MAKE) --no-print-directory install-packages PACKAGES='$(DEPS)'

install-run-dependencies:
	@$(MAKE) --no-print-directory install-packages PACKAGES='$(RUN_DEPS)'

install-packages:
	@missing=$$(for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' "$$p" 2>/dev/null | \
		grep -q '^install ok installed' || echo "$$p"; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

build: $(BINS)

$(FLAGS_STAMP):
	@mkdir -p build
	@rm -f build/flags-*
	@touch $@

build/%.o: lib/%.c $(wildcard lib/*.h) $(FLAGS_STAMP)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/liblisten.a: $(LIBOBJ)
	$(AR) rcs $@ $^

# The schema is compiled into listen-load, so the binary needs no data files.
build/schema.inc: share/schema.sql
	@mkdir -p build
	sed -e 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$$/\\n"/' $< > $@

bin/listen-parse: LDLIBS += -lcsv -lyajl
bin/listen-load: LDLIBS += -lsqlite3
bin/listen-load: build/schema.inc

bin/listen-ingest: src/listen-ingest.sh
	@mkdir -p bin
	install -m 755 $< $@

bin/%: src/%.c build/liblisten.a $(wildcard lib/*.h) $(FLAGS_STAMP)
	@mkdir -p bin
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< build/liblisten.a $(LDLIBS)

fetch-data:
	@if [ -n "$(DATA_URL)" ]; then \
		out="data/$$(basename "$(DATA_URL)")"; \
		curl -fsSL --retry 3 -o "$$out.part" "$(DATA_URL)"; \
		if [ -n "$(DATA_SHA256)" ]; then \
			echo "$(DATA_SHA256)  $$out.part" | sha256sum -c --quiet - || \
			{ rm -f "$$out.part"; echo "fetch-data: checksum mismatch" >&2; exit 1; }; \
		fi; \
		mv "$$out.part" "$$out"; echo "fetched $$out"; \
	elif [ ! -s data/sample.csv ]; then \
		python3 data/generate.py > data/sample.csv.part; \
		mv data/sample.csv.part data/sample.csv; \
	fi

# The rejects file holds the last run's rejects: a run of the same input
# again would otherwise append the same ones again.
run: install-run-dependencies build fetch-data
	@db=$(call shpath,$(DB)); in=$(call shpath,$(INPUT)); \
	rej=$(call shpath,$(REJECTS)); \
	[ -n "$$rej" ] || rej="$${db%.db}.rejects.tsv"; \
	if [ "$$rej" -ef "$$in" ] || [ "$$rej" -ef "$$db" ]; then \
		echo "make run: REJECTS '$$rej' is INPUT or DB" >&2; exit 2; fi; \
	if [ -f "$$rej" ]; then : > "$$rej" || exit 1; fi; \
	set -x && \
	bin/listen-load "$$db" -- bin/listen-parse $(PARSE_FLAGS) --rejects "$$rej" -- "$$in"
	bin/listen-load --weekly $(call shpath,$(DB)) | bin/listen-peaks

run-query: install-run-dependencies
	@[ -n $(call shq,$(query)) ] || { echo 'usage: make run-query query="select ..."' >&2; exit 2; }
	@[ -f $(call shpath,$(DB)) ] || { echo "run-query: "$(call shpath,$(DB))": no such warehouse (make run first)" >&2; exit 1; }
	sqlite3 -header -separator "$$(printf '\t')" $(call shpath,$(DB)) $(call shq,$(query))

# For cron: see README.md, "A landing directory".
ingest-dir: install-run-dependencies build
	@[ -n $(call shpath,$(DIR)) ] || { echo 'usage: make ingest-dir DIR=landing [DB=warehouse.db]' >&2; exit 2; }
	bin/listen-ingest $(call shpath,$(DB)) $(call shpath,$(DIR))

crash-test: install-dependencies build
	bash tests/crash-test.sh $(CRASH_TRIALS)

test: install-dependencies build
	bats tests/

# Generates its inputs under bench/work (git-ignored) on first use; writes
# bench/results.md.  ROUNDS=N sets the rounds per figure.
bench: install-dependencies build
	bash bench/run.sh

# The fuzz target is built with clang (libFuzzer, ASan, UBSan) from the
# tool's own source: fuzz/fuzz-parse.c includes src/listen-parse.c.
FUZZ_SECONDS ?= 1800
FUZZ_KIND ?= all
FUZZ_CFLAGS := -g -O1 -std=c11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -DJSONREC_PIECE=7

build/fuzz-parse: fuzz/fuzz-parse.c src/listen-parse.c $(LIBSRC) $(wildcard lib/*.h)
	@mkdir -p build
	clang $(FUZZ_CFLAGS) $(CPPFLAGS) -o $@ fuzz/fuzz-parse.c $(LIBSRC) -lcsv -lyajl

fuzz: install-dependencies build/fuzz-parse
	fuzz/run $(FUZZ_SECONDS) $(FUZZ_KIND)

fuzz-short: install-dependencies build/fuzz-parse
	fuzz/run 60 all

lint: install-dependencies
	$(MAKE) --no-print-directory clean
	$(MAKE) --no-print-directory build CFLAGS='-O2 -Werror'
	mandoc -Tlint -W warning $(MANS)
	shellcheck -x .ci/run fuzz/run tests/test_helper.bash bench/*.sh src/listen-ingest.sh \
		tests/crash-test.sh
	shellcheck -s bash -x tests/*.bats

tidy:
	clang-format -i src/*.c lib/*.c lib/*.h

install: build
	install -d "$(DESTDIR)$(PREFIX)/bin" "$(DESTDIR)$(PREFIX)/share/man/man1"
	install -m 755 $(BINS) "$(DESTDIR)$(PREFIX)/bin"
	install -m 644 $(MANS) "$(DESTDIR)$(PREFIX)/share/man/man1"

clean:
	rm -rf bin build
