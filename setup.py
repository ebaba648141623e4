# -*- Python -*-
# -*- coding: utf-8 -*-
#
# (c) 2026 the pyre_nexus developers; BSD license (see LICENSE)


# externals
import pathlib
import setuptools

# where i am
here = pathlib.Path(__file__).parent
# the version lives in the package, so there is one source of truth
meta = {}
exec((here / "pyre_nexus" / "meta.py").read_text(), meta)
# what builds the documentation, make docs; pinned, since the build treats warnings as errors,
# and the tests build it too
docs = [
    "sphinx==9.0.4",
    "myst-parser==5.2.0",
    "sphinxcontrib-mermaid==2.1.1",
]
# the joblib that the tests of the joblib backend run against, and that the build of the guide,
# which documents the backend, imports; pinned, since joblib calls its backend interface
# experimental
joblib = "joblib==1.6.0"


# the package
setuptools.setup(
    name="pyre-nexus",
    version=meta["version"],
    description="crews, teams and recruiters: run work in other processes from pyre applications",
    long_description=(here / "README.md").read_text(),
    long_description_content_type="text/markdown",
    # an SPDX expression, which supersedes the license classifiers
    license_expression="BSD-3-Clause",
    python_requires=">=3.11",
    packages=setuptools.find_packages(include=["pyre_nexus", "pyre_nexus.*"]),
    # pyre looks for the defaults of a package in {prefix}/share, next to the environment
    data_files=[("share", ["etc/pyre_nexus.pfg"])],
    package_data={"pyre_nexus.apps": ["*.pfg"]},
    install_requires=[
        "pyre>=1.14,<1.15",
        "cloudpickle>=3.1,<4",
        "tqdm>=4.67,<5",
    ],
    extras_require={
        "test": [
            "pytest>=8,<10",
            "pytest-timeout>=2.3,<3",
            "numpy>=2,<3",
            "hypothesis>=6.100,<7",
            # wheels only: cp311 has 3.0.0, cp312 and later 3.1.0; elsewhere the fuzz tests skip
            'atheris>=3.0,<3.2; platform_system == "Linux" and platform_machine == "x86_64"',
            # tests/test_joblib.py
            joblib,
            # tests/test_docs.py builds the documentation
            *docs,
            # tests/test_docs_browser.py opens its pages in headless chromium; pinned, as the
            # build is, since the test drives the browser through its api
            "selenium==4.51.0",
        ],
        "docs": [*docs, joblib],
        # the joblib backend, pyre_nexus.joblib(); the tests run the pinned version
        "joblib": ["joblib>=1.6,<2"],
    },
    entry_points={
        "console_scripts": ["nexus-demo = pyre_nexus.apps.Demo:main", "nexus = pyre_nexus.cli.Nexus:main"],
    },
    classifiers=[
        "Operating System :: POSIX :: Linux",
        "Programming Language :: Python :: 3",
    ],
)


# end of file
