"""`cmake --install` puts a working package into the prefix's dist-packages."""
import os
import subprocess
import sys

import pytest

from _deps import need

need("numpy")
need("opgraph")


def test_installed_package_imports_and_runs(tmp_path, binary_dir):
    cmake = os.environ.get("OPGRAPH_CMAKE", "cmake")
    prefix = tmp_path / "prefix"
    done = subprocess.run([cmake, "--install", binary_dir, "--prefix", str(prefix)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.fail("cmake --install failed:\n" + done.stdout + done.stderr)
    site = prefix / "lib" / ("python3.%d" % sys.version_info.minor) / "dist-packages"
    assert (site / "opgraph" / "__init__.py").exists()
    assert (site / "opgraph" / "opgraph_pb2.py").exists()
    assert any(p.name.startswith("_opgraph") for p in site.iterdir())
    script = (
        "import numpy as np, opgraph\n"
        "from opgraph import core\n"
        "assert opgraph.__file__.startswith(%r), opgraph.__file__\n"
        "n = core.Net('n'); n.Selu('x', 'y', alpha=1.0, scale=2.0)\n"
        "y = opgraph.Workspace().run(n, {'x': np.array([1.0, -1.0])}, outputs=['y'])['y']\n"
        "print(repr(y.tolist()))\n" % str(site))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    out = subprocess.run([sys.executable, "-c", script], cwd=str(tmp_path), env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    y = eval(out.stdout)
    assert y[0] == 2.0 and abs(y[1] - 2 * (pow(2.718281828459045, -1) - 1)) < 1e-12
