# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


"""
A plain, non-editable install into a fresh virtual environment ships what pyre needs: the
package, its defaults in {prefix}/share/pyre_nexus.pfg, where pyre finds them, the
configuration of the demo, and the demo's console script; make demo sets up only what the demo
needs, quietly
"""

# externals
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest


# the repository
ROOT = pathlib.Path(__file__).resolve().parent.parent
# the signs of a package index that can't be reached
OFFLINE = (
    "Could not find a version that satisfies",
    "No matching distribution found",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
    "SSLError",
)

# the script that runs in the new environment
PROBE = """
import importlib.metadata, json, os, pathlib, shutil, subprocess, sys
import pyre, pyre_nexus

# where the package and its defaults are
fileserver = pyre.executive.fileserver
def real(locator):
    # map a locator in pyre's virtual filesystem to the file behind it
    text = str(locator)
    if "file='vfs:" not in text:
        return None
    vpath = text.split("file='vfs:", 1)[1].split("'", 1)[0]
    try:
        return str(fileserver[vpath].uri)
    except Exception as error:
        return f"unresolved {vpath}: {error}"

staff = pyre_nexus.staff()
fork = pyre_nexus.fork()
team = staff(name="probe.team", size=2)
# it works
results = [future.result(timeout=30) for future in [team.submit(pow, i, 2) for i in range(6)]]
team.shutdown()

bindir = pathlib.Path(sys.executable).parent
metadata = importlib.metadata.metadata("pyre-nexus")
print(json.dumps({
    "package": pyre_nexus.__file__,
    "prefix": str(pyre_nexus.prefix),
    "pipeline": str(pyre.where(staff, "pipeline")),
    "pipeline_file": real(pyre.where(staff, "pipeline")),
    "transport": str(pyre.where(fork, "transport")),
    "transport_file": real(pyre.where(fork, "transport")),
    "results": results,
    "left": len(team.crews),
    "demo": str(bindir / "nexus-demo"),
    "demo_exists": (bindir / "nexus-demo").exists(),
    "demo_config": (pathlib.Path(pyre_nexus.__file__).parent / "apps" / "nexus-demo.pfg").exists(),
    "license": metadata["License-Expression"],
    "license_classifiers": [each for each in metadata.get_all("Classifier") if each.startswith("License ::")],
}))
"""


def clean():
    """
    The environment of the tests, without what ties them to their interpreter and its paths
    """
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    # nor to a make that runs them, e.g. make test, whose flags would make a make they run
    # announce the folders it enters
    for key in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
        env.pop(key, None)
    return env


def settle(result, what):
    """
    Fail the test with the output of {result}, which {what} left; unless pip could not reach
    the package index, a problem of the machine, which skips it, except in CI
    """
    output = result.stdout + result.stderr
    if any(sign in output for sign in OFFLINE) and not os.environ.get("CI"):
        reason = f"pip could not reach the package index:\n{output[-2000:]}"
        print(reason)
        pytest.skip(reason)
    pytest.fail(f"{what} failed:\n{output}")


def source(tmp_path):
    """
    A copy of the sources, so building them leaves nothing behind in the repository
    """
    target = tmp_path / "src"
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".venv", ".venv-*", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", "tests"
        ),
    )
    return target


@pytest.mark.timeout(600)
def test_install_ships_defaults(tmp_path):
    """
    pip install into a fresh venv; pyre finds the shipped defaults in <venv>/share
    """
    # a clean environment: nothing of the test run's paths
    env = clean()
    # the environment
    venv = tmp_path / "venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300, env=env
    )
    if made.returncode != 0:
        pytest.fail(f"python -m venv failed:\n{made.stdout}\n{made.stderr}")
    python = venv / "bin" / "python"
    # the install
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(source(tmp_path))],
        capture_output=True,
        text=True,
        timeout=540,
        cwd=tmp_path,
        env=env,
    )
    if installed.returncode != 0:
        settle(installed, "pip install")
    # the defaults are where pyre looks
    share = venv / "share" / "pyre_nexus.pfg"
    assert share.is_file(), f"no {share}"
    assert share.read_text() == (ROOT / "etc" / "pyre_nexus.pfg").read_text()
    # run the probe from a folder of its own, away from the sources
    work = tmp_path / "work"
    work.mkdir()
    (work / "probe.py").write_text(textwrap.dedent(PROBE).lstrip())
    probed = subprocess.run(
        [str(python), "probe.py"], cwd=work, capture_output=True, text=True, timeout=120, env=env
    )
    assert probed.returncode == 0, f"stdout:\n{probed.stdout}\nstderr:\n{probed.stderr}"
    found = json.loads(probed.stdout.strip().splitlines()[-1])
    print(json.dumps(found, indent=2))
    # the package is the installed one
    package = pathlib.Path(found["package"]).resolve()
    assert venv.resolve() in package.parents, found["package"]
    assert ROOT not in package.parents, found["package"]
    assert pathlib.Path(found["prefix"]).resolve() == venv.resolve()
    # pyre took the defaults from the shipped file
    assert "pyre_nexus.pfg" in found["pipeline"], found["pipeline"]
    assert pathlib.Path(found["pipeline_file"]).resolve() == share.resolve(), found
    assert pathlib.Path(found["transport_file"]).resolve() == share.resolve(), found
    # the team works
    assert found["results"] == [i * i for i in range(6)]
    assert found["left"] == 0
    # the license is an SPDX expression, which takes the place of the classifiers
    assert found["license"] == "BSD-3-Clause", found
    assert found["license_classifiers"] == [], found
    # the demo is installed, with its configuration
    assert found["demo_exists"], found["demo"]
    assert found["demo_config"]
    # and it runs
    demo = subprocess.run(
        [found["demo"], "--samples=40000", "--batches=4", "--serial=no"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert demo.returncode == 0, f"stdout:\n{demo.stdout}\nstderr:\n{demo.stderr}"
    assert "pi ~" in demo.stdout


@pytest.mark.timeout(600)
def test_make_demo_sets_up_the_package_alone(tmp_path):
    """
    make demo, on sources without an environment, installs the package with what it needs to
    run and nothing of the tests or the documentation, says little more than the commands it
    runs while it sets up, and runs the demo
    """
    if shutil.which("make") is None:
        reason = "make is not installed"
        if os.environ.get("CI"):
            pytest.fail(reason)
        print(reason)
        pytest.skip(reason)
    # set up and run, with an environment of the test's and this interpreter
    venv = tmp_path / "venv"
    made = subprocess.run(
        ["make", "demo", f"VENV={venv}", f"PYTHON={sys.executable}"],
        cwd=source(tmp_path),
        capture_output=True,
        text=True,
        timeout=540,
        env=clean(),
    )
    if made.returncode != 0:
        settle(made, "make demo")
    # what the set up says: the commands that make runs, before the demo's first line
    setup, _, shown = made.stdout.partition("pyre_nexus 0.1.0 demo:")
    assert shown, made.stdout
    assert len(setup.splitlines()) <= 4, setup
    # and nothing of pip's progress, nor the warnings of setuptools
    said = setup + made.stderr
    for noise in ("Collecting", "Successfully installed", "Building", "BuildBackendWarning", "deprecated"):
        assert noise not in said, said
    # the environment has the package and what it needs to run, and no more
    probe = (
        "import importlib.util, json; "
        "print(json.dumps({name: importlib.util.find_spec(name) is not None for name in "
        "('pyre_nexus', 'pyre', 'cloudpickle', 'tqdm', 'pytest', 'numpy', 'hypothesis', 'sphinx')}))"
    )
    found = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, timeout=120, env=clean()
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout) == {
        "pyre_nexus": True, "pyre": True, "cloudpickle": True, "tqdm": True,
        "pytest": False, "numpy": False, "hypothesis": False, "sphinx": False,
    }
    # and the demo ran
    assert "pi ~" in shown and "speedup" in shown, made.stdout


# end of file
