"""Build configuration for the one compiled module; everything else is in pyproject.toml.

The extension is optional: without a C compiler the install still succeeds, and the fast path
falls back to PyArrow's CSV reader (slower, same results).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "s3sleuth.parse._scan",
            ["src/s3sleuth/parse/_scan.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
