"""Runs one acceptance example unmodified, as `python3 FILE` would, from its own folder.

The acceptance folder holds an example named `concurrent.py`. Run plainly, Python puts the
script's folder first on sys.path, so `import asyncio` finds that example instead of the
standard library's `concurrent` package and every asyncio example fails before it starts.
This runner puts the folder at the END of sys.path instead: the examples still import
`_common` from it, and the standard library wins for its own names.

Usage: python run-acceptance.py FILE   (run from the acceptance folder)
"""

import os
import runpy
import sys

if len(sys.argv) != 2:
    sys.exit("usage: run-acceptance.py FILE")
script = os.path.abspath(sys.argv[1])
sys.path[0] = os.path.dirname(os.path.abspath(__file__))
sys.path.append(os.path.dirname(script))
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
