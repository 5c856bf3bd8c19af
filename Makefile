# asynet_ros: environment, build, test and demo entry points.
#
#   make test   create .venv if needed, colcon build + colcon test (pytest: unit, ruff, mypy, ament
#               linters), print colcon test-result; fails on any failure and when no test ran
#   make lint   ruff check + mypy --strict asynet_core
#   make demo   write a synthetic evt3 bag of moving shapes, replay it through the bundled demo
#               detector (report.json, outputs bag, replay.gif), then play it into the lifecycle
#               node in a real ROS 2 graph on loopback; summaries in out/demo/
#   make clean  remove build outputs and caches (keeps .venv; `make distclean` removes it too)
#
# Every recipe is one bash script (-euo pipefail) with the venv's bin first on PATH.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DELETE_ON_ERROR:
.DEFAULT_GOAL := test

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# ROS 2 Jazzy from PyPI, the interface packages built from msg/, and (where ../shared/ros2 exists)
# the launch kit no registry carries; each step reruns only when its inputs change.
ROS_STAMP := $(VENV)/.ros-jazzy
IFACES_STAMP := $(VENV)/.ros-interfaces
LAUNCH_STAMP := $(VENV)/.ros-launch
SHARED_ROS2 := $(realpath ../shared/ros2)
MSG_FILES := $(wildcard msg/*/msg/*.msg)
ROS_STAMPS := $(ROS_STAMP) $(IFACES_STAMP) $(if $(SHARED_ROS2),$(LAUNCH_STAMP))
# ROS 2 Kilted (Fast DDS 3.2) in a second venv inside .venv, for the DDS interop tests only.
KILTED_VENV := $(VENV)/kilted
KILTED_STAMP := $(KILTED_VENV)/.installed
# Pinned: an unpinned torch (directly or via a range) resolves to GBs of CUDA wheels; this is the CPU one.
TORCH := torch==2.13.0
SPCONV := spconv==2.3.8
COLCON_DIRS := --base-paths . --build-base build --install-base install
TEST_RESULTS := build/test-result.txt

export PATH := $(BIN):$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install test lint demo clean distclean

install: $(STAMP) $(ROS_STAMPS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

CPP_SOURCES := $(wildcard asynet_core_cpp/src/*.cpp asynet_core_cpp/include/asynet_core_cpp/*.h)

# Reinstalled (and the extension rebuilt in place) when the build description or C++ changes.
$(STAMP): setup.py setup.cfg $(CPP_SOURCES) | $(VENV)/bin/python
	$(BIN)/python -m pip install $(TORCH)
	# colcon-core needs setuptools<80 (torch pulls a newer one); pybind11 builds asynet_core_cpp.
	$(BIN)/python -m pip install 'setuptools<80' pybind11 $(SPCONV) colcon-common-extensions
	# No build isolation: build with the venv's setuptools and pybind11 pinned above.
	$(BIN)/python -m pip install --no-build-isolation -e '.[test]'
	touch $@

$(ROS_STAMP): requirements/ros-jazzy.txt | $(VENV)/bin/python
	# setuptools<80 again: colcon's ament_python builds need it.
	$(BIN)/python -m pip install -r requirements/ros-jazzy.txt 'setuptools<80'
	# rosidl pulls lark-parser 0.12, whose `lark` module (it imports the deprecated sre_parse)
	# overwrites lark 1.x's; launch needs lark 1.x, and rosidl works with either.
	$(BIN)/python -m pip install --force-reinstall --no-deps lark
	tools/install_ament_copyright.sh $(VENV)
	touch $@

$(IFACES_STAMP): $(MSG_FILES) tools/build_ros_interfaces.py $(ROS_STAMP)
	$(BIN)/python tools/build_ros_interfaces.py --venv $(VENV)
	touch $@

# launch, launch_ros, launch_testing(_ros) wheels and composition_interfaces (launch_ros imports it).
$(LAUNCH_STAMP): $(wildcard $(SHARED_ROS2)/wheels/*.whl) $(IFACES_STAMP)
	$(BIN)/python -m pip install --no-deps $(SHARED_ROS2)/wheels/*.whl
	$(BIN)/python tools/build_ros_interfaces.py --venv $(VENV) --only \
		--extra $(SHARED_ROS2)/composition_interfaces
	touch $@

# The compiled backend must load in tests: a silent fallback to torch would hide a broken build.
test: export ASYNET_REQUIRE_CPP := 1
test: $(STAMP) $(ROS_STAMPS) $(KILTED_STAMP)
	mkdir -p build
	# Old result files must not count towards this run.
	colcon test-result --test-result-base build --delete-yes > /dev/null
	colcon build $(COLCON_DIRS)
	rc=0
	colcon test $(COLCON_DIRS) --event-handlers console_direct+ \
		--return-code-on-test-failure || rc=$$?
	colcon test-result --test-result-base build --verbose | tee $(TEST_RESULTS) || rc=1
	# Fail when no test ran. colcon prints "Summary: N tests, E errors, F failures, S skipped";
	# pytest's "no tests collected" (exit 5) is not a failure for colcon.
	awk '/^Summary: / { found = 1; ran = $$2 - $$8 }
		END {
			if (!found) { print "make test: colcon test-result printed no summary"; exit 1 }
			if (ran <= 0) { print "make test: no test ran (none collected or all skipped)"; exit 1 }
			print "make test: " ran " tests ran"
		}' $(TEST_RESULTS) || rc=1
	exit $$rc

lint: $(STAMP)
	rc=0
	python -m ruff check . || rc=1
	python -m mypy --strict asynet_core || rc=1
	exit $$rc

DEMO := out/demo

demo: $(STAMP) $(ROS_STAMPS)
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	asynet-events synth $(DEMO)/bag --seconds 2 --seed 0 > $(DEMO)/synth.json
	asynet-events stats $(DEMO)/bag
	asynet-replay $(DEMO)/bag --out $(DEMO)/replay --labels $(DEMO)/bag/labels_bbox.npy --gif
	# The lifecycle node in a real ROS 2 graph (Fast DDS on loopback), the same bag played in.
	python -m asynet_benchmarks.ros_node_live $(DEMO)/bag --json $(DEMO)/ros_node.json
	python -m asynet_benchmarks.demo_summary $(DEMO)
	echo "demo: annotated replay in $(DEMO)/replay/replay.gif, report in $(DEMO)/replay/report.json"
	echo "demo: the ROS 2 node's summary in $(DEMO)/ros_node.json"

clean:
	rm -rf build install log out .mypy_cache .ruff_cache .pytest_cache .hypothesis ./*.egg-info
	find . -path ./$(VENV) -prune -o -path ./.git -prune -o -name __pycache__ -type d -prune \
		-exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)

# ROS 2 Kilted (Fast DDS 3.2) in a second venv inside .venv, for the DDS interop tests
# (test/system/test_dds_interop.py runs its rclpy peer under both distros; it skips Kilted without it).
# About 2 min on a fresh machine (pip 1 min, the interface packages 1 min); then cached by the stamp.
.PHONY: kilted
kilted: $(KILTED_STAMP)

$(KILTED_STAMP): requirements/ros-kilted.txt $(MSG_FILES) tools/build_ros_interfaces.py | $(VENV)/bin/python
	$(PYTHON) -m venv $(KILTED_VENV)
	$(KILTED_VENV)/bin/python -m pip install -r requirements/ros-kilted.txt
	$(KILTED_VENV)/bin/python tools/build_ros_interfaces.py --venv $(KILTED_VENV)
	touch $@
