"""Make pyroute2 unimportable in every Python that puts this folder on its path.

Used by test_missing_pyroute2.py through PYTHONPATH, so that the modules run
exactly as on a managed host without pyroute2.
"""

import importlib.abc
import sys


class _BlockPyroute2(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname == 'pyroute2' or fullname.startswith('pyroute2.'):
            raise ImportError('No module named %r (blocked by the vnet.linux tests)' % fullname, name=fullname)
        return None


sys.meta_path.insert(0, _BlockPyroute2())
