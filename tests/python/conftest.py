import os
import sys

import pytest

SOURCE_DIR = os.environ.get("OPGRAPH_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY_DIR = os.environ.get("OPGRAPH_BINARY_DIR") or os.path.join(SOURCE_DIR, "build")

# Run by hand (`python3 -m pytest tests/python`), find the build tree's module.
if not any(os.path.isdir(os.path.join(p, "opgraph")) for p in sys.path if p):
    sys.path.insert(0, os.path.join(BINARY_DIR, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def source_dir():
    return SOURCE_DIR


@pytest.fixture
def binary_dir():
    return BINARY_DIR


@pytest.fixture
def cli():
    path = os.environ.get("OPGRAPH_CLI") or os.path.join(BINARY_DIR, "tools", "opgraph")
    if not os.path.exists(path):
        pytest.skip("the opgraph command line is not built (%s)" % path)
    return path


@pytest.fixture
def example_plugin():
    path = os.environ.get("OPGRAPH_EXAMPLE_PLUGIN") or os.path.join(
        BINARY_DIR, "tests", "plugins", "libopgraph_example_scaled_tanh_plugin.so")
    if not os.path.exists(path):
        pytest.skip("the example plugin is not built (%s)" % path)
    return path
