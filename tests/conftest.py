"""Make this checkout importable as ansible_collections.vnet.linux.

The repository is not laid out under ansible_collections/vnet/linux, so the
tests link it there (inside tests/output, which git ignores).
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collection_root():
    if os.path.basename(os.path.dirname(os.path.dirname(ROOT))) == 'ansible_collections':
        return os.path.dirname(os.path.dirname(os.path.dirname(ROOT)))
    base = os.path.join(ROOT, 'tests', 'output', '.collections')
    link = os.path.join(base, 'ansible_collections', 'vnet', 'linux')
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(ROOT, link)
    return base


COLLECTIONS = _collection_root()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
