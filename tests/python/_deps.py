"""Imports the test dependencies: a clear skip when one is missing, or an
error under ctest (OPGRAPH_REQUIRE_PYTHON=1), where scripts/install_deps.sh
has installed them and a failed import is a real failure."""
import importlib
import os

import pytest

REQUIRED = os.environ.get("OPGRAPH_REQUIRE_PYTHON") == "1"


def need(module):
    if REQUIRED:
        return importlib.import_module(module)
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pytest.skip("%s is not importable (%s): install python3-numpy, python3-protobuf and "
                    "pybind11-dev (scripts/install_deps.sh), build, and put build/python on "
                    "PYTHONPATH" % (module, e), allow_module_level=True)
